import assert from "node:assert/strict";
import { promises as fsp } from "node:fs";
import os from "node:os";
import path from "node:path";
import { TestClock } from "../test/clock";
import { teamState } from "../test/fixtures";
import { MemoryBalanceSource } from "./balance/source";
import { createGate } from "./gate";
import { hashApiKey } from "./keys/hash";
import { MemoryKeySource } from "./keys/source";
import { UsageLog } from "./usage/log";

const KEY = "pk_restart";
const TEAM = teamState().team;

describe("gate restart from the usage log", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), "gate-restart-"));
  });
  afterEach(async () => {
    await fsp.rm(dir, { recursive: true, force: true });
  });

  function setup(log: UsageLog, clock: TestClock, balances: MemoryBalanceSource) {
    const keys = new MemoryKeySource();
    keys.set(hashApiKey(KEY), {
      teamId: "team-1",
      team: TEAM,
      vault: teamState().vault,
      revoked: false,
      members: new Map([["bob", { allocation: 40_000n, allocationUsed: 0n }]]),
    });
    const gate = createGate({ keys, balances, usage: log, now: clock.now });
    return gate;
  }

  it("reserves again what was served and not settled, so nothing is spent twice", async () => {
    const clock = new TestClock();
    const balances = new MemoryBalanceSource(clock.now);
    balances.set(teamState({ periodRequests: 10_000n, vaultBalance: 100_000n }));

    const log1 = await UsageLog.open({ dir });
    const gate1 = setup(log1, clock, balances);
    for (let i = 0; i < 5; i++) {
      const a = await gate1.admit({ key: KEY, userId: i < 4 ? "bob" : null, endpoint: "/api/v1/verify" });
      if (i < 4) await a.ticket!.commit();
      else a.ticket!.release(); // not served: not in the log
    }
    await log1.seal(TEAM, 1n, 2);
    await log1.close();

    const log2 = await UsageLog.open({ dir });
    const gate2 = setup(log2, clock, balances);
    gate2.restore(log2);
    const book = gate2.book(TEAM)!;
    assert.equal(book.reservedUnits, 4n);
    assert.equal(book.reservedCharged, 40_000n);
    assert.equal(book.batchesInFlight, 1);
    const a = await gate2.admit({ key: KEY, endpoint: "/api/v1/verify" });
    assert.equal(a.available, 50_000n, "100_000 − 4 restored − this one, 10_000 each");
    const bob = await gate2.admit({ key: KEY, userId: "bob", endpoint: "/api/v1/verify" });
    assert.equal(bob.error, "member_allocation_exhausted", "bob's restored spending counts against his allocation");

    // The chain shows batch 1 settled: its reservation ends, the vault paid it.
    balances.update(TEAM, { lastBatchSeq: 1n, vaultBalance: 80_000n, periodRequests: 10_002n, periodOverageSpend: 20_000n });
    const after = await gate2.admit({ key: KEY, endpoint: "/api/v1/verify" });
    assert.equal(after.available, 40_000n, "80_000 − 3 still reserved − this one");
    assert.equal(gate2.book(TEAM)!.batchesInFlight, 0);
    await log2.close();
  });
});
