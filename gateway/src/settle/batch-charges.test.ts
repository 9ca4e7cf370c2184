import assert from "node:assert/strict";
import { promises as fsp } from "node:fs";
import os from "node:os";
import path from "node:path";
import { quoteCharge } from "../../../sdk/src/pricing";
import { MathOverflowError } from "../../../sdk/src/errors";
import { U64_MAX } from "../../../sdk/src/constants";
import { UNATTRIBUTED_USER_ID } from "../../../convex/model/format";
import { UsageLog, type PricingBasis, type SealedBatch } from "../usage/log";
import { batchTotals, chargeBatch, PRICE_SLICE } from "./batch-charges";

describe("batch charges", () => {
  let dir: string;
  let log: UsageLog;
  beforeEach(async () => {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), "batch-charges-"));
    log = await UsageLog.open({ dir, durability: "write" });
  });
  afterEach(async () => {
    await log.close();
    await fsp.rm(dir, { recursive: true, force: true });
  });

  /** A batch of `team`'s records of `units` each (gate price 7 per unit), sealed with `basis`. */
  async function batchOf(units: readonly bigint[], basis: PricingBasis | null, team = "TeamA"): Promise<SealedBatch> {
    await Promise.all(
      units.map((u, i) =>
        log.append({ requestId: `${team}-${i}`, teamId: "t1", team, userId: i % 2 ? "alice" : null, endpoint: "/v", units: u, cost: 7n * u, timestampMs: 1_700_000_000_000 + i }),
      ),
    );
    return log.seal(team, 1n, undefined, basis);
  }

  const basis = (o: Partial<PricingBasis>): PricingBasis => ({
    includedRequests: 100n,
    overagePrice: 1_000n,
    periodRequests: 0n,
    periodOverageSpend: 0n,
    spendCap: 0n,
    ...o,
  });

  it("keeps the gate's prices for a batch sealed without a basis", async () => {
    const batch = await batchOf([1n, 3n, 2n], null);
    const c = await chargeBatch(batch);
    assert.deepEqual([...c.costs], [7n, 21n, 14n]);
    assert.equal(c.amount, 42n);
    assert.deepEqual(batchTotals(batch), { units: 6n, cost: 42n });
    assert.equal(c.fields.count, 3);
    assert.deepEqual([...c.fields.userId].map((k) => c.fields.strings[k]), [UNATTRIBUTED_USER_ID, "alice", UNATTRIBUTED_USER_ID]);
  });

  it("charges each record its share of the batch's charge from the basis, across the quota's end", async () => {
    // 95 of 100 included used: the first record's 3 are free, the second's 4 straddle the end (2 free), the rest pay.
    const b = basis({ periodRequests: 95n });
    const batch = await batchOf([3n, 4n, 1n, 2n], b);
    const c = await chargeBatch(batch);
    assert.deepEqual([...c.costs], [0n, 2_000n, 1_000n, 2_000n]);
    assert.equal(c.amount, quoteCharge({ monthlyFee: 0n, includedRequests: 100n, overagePrice: 1_000n }, 95n, 0n, 0n, 10n).charged);
  });

  it("stops charging at the spend cap, and the records still add up to the batch's charge", async () => {
    const b = basis({ periodRequests: 100n, periodOverageSpend: 500n, spendCap: 3_200n });
    const batch = await batchOf([1n, 1n, 1n, 1n], b);
    const c = await chargeBatch(batch);
    assert.deepEqual([...c.costs], [1_000n, 1_000n, 700n, 0n]);
    assert.equal(c.amount, quoteCharge({ monthlyFee: 0n, includedRequests: 100n, overagePrice: 1_000n }, 100n, 500n, 3_200n, 4n).charged);
  });

  it(`prices a batch of more than ${PRICE_SLICE} records in slices, letting other work run between them`, async () => {
    const n = 2 * PRICE_SLICE + 5;
    const batch = await batchOf(Array.from({ length: n }, () => 1n), basis({ includedRequests: 0n, overagePrice: 3n }));
    let ranBetween = false;
    setImmediate(() => (ranBetween = true));
    const c = await chargeBatch(batch);
    assert.ok(ranBetween, "a turn of the event loop ran while the batch was priced");
    assert.equal(c.costs.length, n);
    assert.ok(c.costs.every((v) => v === 3n));
    assert.equal(c.amount, 3n * BigInt(n));
  });

  it("refuses a batch whose pricing leaves u64, with the SDK's error, rather than wrap a charge", async () => {
    // Each record's charge fits u64, their sum does not: the program refuses the batch, so must the settler.
    const halfway = basis({ includedRequests: 0n, overagePrice: U64_MAX / 2n + 1n });
    await assert.rejects(chargeBatch(await batchOf([1n, 1n], halfway, "TeamA")), MathOverflowError);
    const top = basis({ includedRequests: 0n, overagePrice: U64_MAX });
    await assert.rejects(chargeBatch(await batchOf([2n], top, "TeamB")), MathOverflowError); // one record of 2 × u64 max
  });
});
