import assert from "node:assert/strict";
import { fullState, PERIOD_END, USDC } from "../../test/fixtures";
import { availableBalance, baseFeeDue, TeamBook, TeamBookError } from "./team-book";

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
