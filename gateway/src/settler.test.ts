import assert from "node:assert/strict";
import { MemorySettlementLedger } from "./ledger/settlement-ledger";
import { Settler, type SettlerOptions } from "./settler";
import type { SettlementChain } from "./chain/settlement-chain";
import { memoryGate } from "../test/harness";
import type { UsageLog } from "./usage/log";

describe("settler options", () => {
  const base = (): SettlerOptions => ({
    log: { teamsWithUsage: () => [], unsettled: 0 } as unknown as UsageLog, // never read by these checks
    gate: memoryGate().gate,
    ledger: new MemorySettlementLedger(),
    chain: {} as SettlementChain,
  });

  it("rejects malformed options with the option's name", () => {
    assert.throws(() => new Settler({ ...base(), flushIntervalMs: 0 }), /flushIntervalMs/);
    assert.throws(() => new Settler({ ...base(), maxTeamsPerTx: 1.5 }), /maxTeamsPerTx/);
    assert.throws(() => new Settler({ ...base(), maxRecordsPerBatch: 100_001 }), /100000/);
    assert.throws(() => new Settler({ ...base(), flushCost: -1n }), /flushCost/);
    assert.throws(() => new Settler({ ...base(), minBatchIntervalMs: -1 }), /minBatchIntervalMs/);
  });

  it("does nothing when no team has usage", async () => {
    const r = await new Settler(base()).settleOnce(true);
    assert.deepEqual(r, { sealed: 0, settled: 0, settledUnits: 0n, transactions: 0, deferred: [] });
  });
});
