import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import path from "node:path";
import { DEFAULT_TIERS, USDC } from "../../../sdk/src/constants";
import type { TeamChainState } from "../../src/balance/source";
import { createStack, serve, type Stack } from "../stack";

const PRICE = 10_000n;

function handoverState(s: TeamChainState): Record<string, unknown> {
  return JSON.parse(JSON.stringify(s, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v))) as Record<string, unknown>;
}

describe("recovery: crashes, chain outages, withdrawals", function () {
  this.timeout(120_000);
  let s: Stack;
  afterEach(async () => {
    s.chain.down = false;
    s.connection.down = false;
    await s?.close();
  });

  it("settles every served request exactly once after the gateway is killed with SIGKILL before settlement", async () => {
    s = await createStack();
    const t = await s.team({ deposit: 100n * USDC });
    const state = (await s.balances.follow(t.address))!;
    await s.settler.stop();
    await s.log.close(); // the child process owns the log directory now

    const child = spawn(
      process.execPath,
      ["--import", "tsx", path.join(__dirname, "../gateway-child.ts"), JSON.stringify({ dir: s.dir, key: t.key, teamId: t.teamId, state: handoverState(state) })],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    const port = await new Promise<number>((resolve, reject) => {
      child.on("error", reject);
      child.on("exit", (code) => reject(new Error(`child exited with ${code}`)));
      let out = "";
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString();
        const m = /listening (\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
    });
    let served = 0;
    const send = async () => {
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/verify`, { method: "POST", headers: { "x-api-key": t.key }, body: "{}" });
      await res.text();
      if (res.status === 200) served++;
    };
    for (let wave = 0; wave < 10; wave++) await Promise.all(Array.from({ length: 30 }, send));
    assert.equal(served, 300);
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));

    await s.restart(); // takes over the dead child's lock, replays the log, re-reserves it
    assert.equal(s.log.unsettled, served);
    assert.equal(s.gate.book(t.address)!.reservedUnits, BigInt(served));
    assert.equal(await s.settler.drain(), 0);
    const team = await s.d.team(t.owner.publicKey);
    assert.equal(team.periodRequests, BigInt(served), "on-chain request count = served count");
    await s.restart();
    assert.equal(await s.settler.drain(), 0);
    assert.equal((await s.d.team(t.owner.publicKey)).periodRequests, BigInt(served), "a second restart settles nothing again");
  });

  it("counts a batch whose confirmation was lost as settled, once, after a restart", async () => {
    s = await createStack();
    const t = await s.team({ deposit: 100n * USDC });
    await serve(s.gate, t.key, 25);
    // The transaction lands, but the settler never hears back (crash or timeout after sending).
    const send = s.chain.inner.send.bind(s.chain.inner);
    s.chain.inner.send = async (ixs) => {
      await send(ixs);
      throw new Error("connection reset while confirming");
    };
    const r = await s.settler.settleOnce(true);
    assert.equal(r.settled, 0);
    assert.equal(s.log.openBatch(t.address)?.seq, 1n, "still open in the log");
    s.chain.inner.send = send;
    await s.restart();
    assert.equal(await s.settler.drain(), 0);
    const team = await s.d.team(t.owner.publicKey);
    assert.equal(team.lastBatchSeq, 1n);
    assert.equal(team.periodRequests, 25n, "charged once");
  });

  it("refuses requests while the chain is unreachable (default deny) and settles the backlog after recovery", async () => {
    s = await createStack({ gate: { maxChainStalenessMs: 200 } });
    const t = await s.team({ deposit: 100n * USDC });
    assert.ok((await serve(s.gate, t.key, 10)).every((a) => a.ok));
    s.connection.down = true;
    s.chain.down = true;
    await new Promise((r) => setTimeout(r, 250));
    await s.balances.poll();
    assert.match(String(s.balances.lastError), /unreachable/);
    const refused = await s.gate.admit({ key: t.key, endpoint: "/api/v1/verify" });
    assert.equal(refused.status, 503);
    assert.equal(refused.error, "chain_unavailable");
    await assert.rejects(s.settler.settleOnce(true), /unreachable/);
    assert.equal(s.log.unsettled, 10);

    s.connection.down = false;
    s.chain.down = false;
    await s.balances.poll();
    assert.equal((await s.gate.admit({ key: t.key, endpoint: "/api/v1/verify" })).ok, true);
    assert.equal(await s.settler.drain(), 0);
    assert.equal((await s.d.team(t.owner.publicKey)).periodRequests, 10n);
  });

  it("stops spending a withdrawal's amount as soon as the request is seen on chain", async () => {
    const tiers = [{ ...DEFAULT_TIERS[0], includedRequests: 0n }, DEFAULT_TIERS[1], DEFAULT_TIERS[2]];
    s = await createStack({ deployment: { config: { tiers } } });
    const t = await s.team({ deposit: 50n * USDC + 100n * PRICE });
    await s.d.client.rollPeriod({ teamOwner: t.owner.publicKey }); // base fee paid: 100 requests' worth left
    const first = await s.gate.admit({ key: t.key, endpoint: "/api/v1/verify" });
    assert.equal(first.available, 99n * PRICE);
    await first.ticket!.commit();
    await s.d.client.requestWithdrawal({ owner: t.owner, amount: 97n * PRICE });
    await s.balances.refresh([t.address]);
    const admitted = (await serve(s.gate, t.key, 5)).map((a) => a.error ?? "ok");
    assert.deepEqual(admitted, ["ok", "ok", "insufficient_balance", "insufficient_balance", "insufficient_balance"]);
    assert.equal(await s.settler.drain(), 0);
    const team = await s.d.team(t.owner.publicKey);
    assert.equal(team.unpaidOverage, 0n);
    assert.equal(await s.d.balance(t.vault), 97n * PRICE, "exactly the withdrawal is left");
  });
});
