import assert from "node:assert/strict";
import { Keypair } from "@solana/web3.js";
import { TestClock } from "../../test/clock";
import { ChainBalanceSource, type AccountsConnection } from "./balance-source";

/** A connection that fails every call (an unreachable RPC) and counts them. */
function unreachable() {
  let calls = 0;
  const connection = {
    getMultipleAccountsInfoAndContext: async () => {
      calls += 1;
      await new Promise((r) => setTimeout(r, 5));
      throw new Error("RPC unreachable");
    },
  } as unknown as AccountsConnection;
  return { connection, calls: () => calls };
}

describe("chain balance source", () => {
  const team = Keypair.generate().publicKey.toBase58();

  it("reads a new team once however many requests wait for it", async () => {
    const c = unreachable();
    const src = new ChainBalanceSource({ connection: c.connection });
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => src.follow(team)));
    assert.ok(results.every((r) => r.status === "rejected"));
    assert.equal(c.calls(), 1);
    assert.match(String(src.lastError), /unreachable/);
  });

  it("after a failed read refuses without asking the chain until retryMs passed, then asks again", async () => {
    const c = unreachable();
    const clock = new TestClock();
    const src = new ChainBalanceSource({ connection: c.connection, now: clock.now, retryMs: 1_000 });
    await assert.rejects(src.follow(team), /unreachable/);
    await assert.rejects(src.follow(team), /failed recently/);
    assert.equal(c.calls(), 1);
    clock.advance(1_000);
    await assert.rejects(src.follow(team), /unreachable/);
    assert.equal(c.calls(), 2);
    assert.deepEqual(src.teams(), [team], "the poll keeps trying a team whose first read failed");
  });

  it("refuses a malformed team address", async () => {
    const src = new ChainBalanceSource({ connection: unreachable().connection });
    await assert.rejects(src.follow("not-an-address"));
  });
});
