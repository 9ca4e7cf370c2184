import assert from "node:assert/strict";
import { fullState, PERIOD_END, USDC } from "../../test/fixtures";
import { baseFeeDue, TeamBook, TeamBookError } from "./team-book";
import { availableBalance } from "./shares";

const NOW = PERIOD_END - 86_400; // a day before the period ends
const HORIZON = 60;

describe("team book and the available formula", () => {
  it("subtracts debt, pending withdrawal, reservations and base fee due from the vault", () => {
    const s = fullState({
      vaultBalance: 100n * USDC,
      unpaidBaseFee: 1n * USDC,
      unpaidOverage: 2n * USDC,
      pendingWithdrawal: 30n * USDC,
      baseFeePaid: false,
    });
    // 100 − 1 − 2 − 30 − 5 reserved − 50 Startup base fee not yet paid
    assert.equal(availableBalance(s, 5n * USDC, NOW, HORIZON), 12n * USDC);
  });

  it("counts no base fee when this period's is paid and the period does not end within the horizon", () => {
    assert.equal(baseFeeDue(fullState(), NOW, HORIZON), 0n);
  });

  it("counts the next period's fee, at the pending tier, when the period ends within the horizon", () => {
    assert.equal(baseFeeDue(fullState(), PERIOD_END - 60, HORIZON), 50n * USDC);
    assert.equal(baseFeeDue(fullState({ pendingTier: 1 }), PERIOD_END - 10, HORIZON), 250n * USDC);
    assert.equal(baseFeeDue(fullState({ baseFeePaid: false }), PERIOD_END + 5, HORIZON), 100n * USDC);
  });

  it("is negative when the team owes more than its vault holds", () => {
    assert.equal(availableBalance(fullState({ vaultBalance: 1n, unpaidOverage: 5n }), 0n, NOW, HORIZON), -4n);
  });

  it("keeps a reservation until a chain state shows its batch settled", () => {
    const book = new TeamBook();
    book.observe(fullState({ slot: 1, lastBatchSeq: 0n }));
    book.reserve(3n, 30_000n);
    book.reserve(2n, 20_000n);
    book.seal(1n, 3n, 30_000n);
    assert.equal(book.reservedUnits, 5n);
    assert.equal(book.reservedCharged, 50_000n);
    assert.equal(book.batchesInFlight, 1);
    book.observe(fullState({ slot: 2, lastBatchSeq: 0n }));
    assert.equal(book.reservedCharged, 50_000n);
    book.observe(fullState({ slot: 3, lastBatchSeq: 1n }));
    assert.equal(book.reservedUnits, 2n);
    assert.equal(book.reservedCharged, 20_000n);
    assert.equal(book.batchesInFlight, 0);
  });

  it("ignores a chain state older than the one it holds", () => {
    const book = new TeamBook();
    book.observe(fullState({ slot: 5, vaultBalance: 1n }));
    book.observe(fullState({ slot: 4, vaultBalance: 2n }));
    assert.equal(book.state?.vaultBalance, 1n);
  });

  it("ends a reservation at once when its batch is already settled on chain", () => {
    const book = new TeamBook();
    book.observe(fullState({ lastBatchSeq: 7n }));
    book.reserve(1n, 10n);
    book.seal(7n, 1n, 10n);
    assert.equal(book.reservedCharged, 0n);
    assert.equal(book.batchesInFlight, 0);
  });

  it("releases the reservation of a request that was not served", () => {
    const book = new TeamBook();
    book.reserve(1n, 10n);
    book.release(1n, 10n);
    assert.equal(book.reservedUnits, 0n);
    assert.equal(book.reservedCharged, 0n);
  });

  it("moves a batch given back unsent to the unbatched stage, or reserves it again once a chain state ended it", () => {
    const book = new TeamBook();
    book.observe(fullState({ lastBatchSeq: 4n, slot: 1 }));
    book.reserve(5n, 500n);
    book.seal(5n, 3n, 300n);
    book.unseal(5n, 3n, 300n);
    assert.equal(book.batchesInFlight, 0);
    assert.deepEqual([book.reservedUnits, book.reservedCharged], [5n, 500n]);
    book.seal(5n, 5n, 500n); // all of it sealed again
    assert.throws(() => book.unseal(5n, 6n, 600n), TeamBookError);
    // Another settler's seq 5 reaches the chain first: the book ends batch 5 with it...
    book.observe(fullState({ lastBatchSeq: 5n, slot: 2 }));
    assert.deepEqual([book.reservedUnits, book.batchesInFlight], [0n, 0]);
    // ...and the batch, ours and not charged, comes back: reserved again, sealable under seq 6.
    book.unseal(5n, 5n, 500n);
    assert.deepEqual([book.reservedUnits, book.reservedCharged], [5n, 500n]);
    book.seal(6n, 5n, 500n);
    assert.equal(book.batchesInFlight, 1);
  });

  it("counts its batches as spent in the period of the chain state that shows them settled, each once", () => {
    const book = new TeamBook();
    const told: unknown[] = [];
    book.onSpend = (spent) => told.push(spent);
    book.observe(fullState({ lastBatchSeq: 0n, slot: 1 }));
    book.reserve(5n, 50_000n);
    book.seal(1n, 3n, 30_000n);
    book.observe(fullState({ lastBatchSeq: 1n, slot: 2 }));
    assert.deepEqual(book.spent, { key: PERIOD_END, seq: 1n, charged: 30_000n, units: 3n });
    book.seal(2n, 2n, 20_000n);
    book.observe(fullState({ lastBatchSeq: 2n, slot: 3 }));
    assert.deepEqual(book.spent, { key: PERIOD_END, seq: 2n, charged: 50_000n, units: 5n });
    book.observe(fullState({ lastBatchSeq: 2n, slot: 4 }));
    assert.equal(told.length, 2, "told each new count, and only then");
    // A batch settled in the next period starts that period's count.
    book.reserve(1n, 0n);
    book.seal(3n, 1n, 0n);
    book.observe(fullState({ lastBatchSeq: 3n, slot: 5, periodEnd: PERIOD_END + 2_592_000 }));
    assert.deepEqual(book.spent, { key: PERIOD_END + 2_592_000, seq: 3n, charged: 0n, units: 1n });
    // Sealed under a seq the chain already shows: the reservation ends and counts at once.
    book.reserve(2n, 7n);
    book.observe(fullState({ lastBatchSeq: 4n, slot: 6, periodEnd: PERIOD_END + 2_592_000 }));
    book.seal(4n, 2n, 7n);
    assert.deepEqual(book.spent, { key: PERIOD_END + 2_592_000, seq: 4n, charged: 7n, units: 3n });
  });

  it("after a restart, takes the usage log's count and counts what settled after it in the next state's period, nothing twice", () => {
    // The process died after the count of batch 6 was written and before the batch was recorded settled.
    const book = new TeamBook();
    book.restoreSpend({ key: PERIOD_END, seq: 6n, charged: 130n, units: 13n }, [{ seq: 5n, charged: 1n, units: 1n }]);
    book.reserve(3n, 30n);
    book.seal(6n, 3n, 30n); // replayed open batch 6: in the count already
    book.reserve(4n, 40n);
    book.seal(7n, 4n, 40n);
    book.observe(fullState({ lastBatchSeq: 7n, slot: 1 }));
    assert.deepEqual(book.spent, { key: PERIOD_END, seq: 7n, charged: 170n, units: 17n });
    assert.deepEqual([book.reservedUnits, book.reservedCharged], [0n, 0n]);

    // The process died after batch 6 was recorded settled and before the gate's count of it was written.
    const later = new TeamBook();
    later.restoreSpend({ key: PERIOD_END - 2_592_000, seq: 5n, charged: 100n, units: 10n }, [{ seq: 6n, charged: 20n, units: 2n }]);
    later.observe(fullState({ lastBatchSeq: 6n, slot: 1 }));
    assert.deepEqual(later.spent, { key: PERIOD_END, seq: 6n, charged: 20n, units: 2n }, "a count of a past period is dropped; the uncounted batch lands in this one");
  });

  it("refuses to release or seal more than was reserved", () => {
    const book = new TeamBook();
    book.reserve(1n, 10n);
    assert.throws(() => book.release(2n, 10n), TeamBookError);
    assert.throws(() => book.seal(1n, 1n, 11n), TeamBookError);
  });

  it("fails clearly when the config has no terms for the team's tier", () => {
    assert.throws(() => baseFeeDue(fullState({ baseFeePaid: false, tier: 9 }), NOW, HORIZON), /no terms for tier 9/);
  });
});
