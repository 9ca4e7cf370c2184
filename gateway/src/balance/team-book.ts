// The gate's book for one team: cost reserved by admitted requests that the chain has not charged yet.
// Reservations move through three stages:
//   admitted (unbatched) ──seal(batch_seq)──► in a batch ──chain shows last_batch_seq ≥ seq──► gone
// and a request that was admitted but not served is released from the unbatched stage. A batch's
// reservation is dropped only when a chain state that includes the batch is observed, so the vault
// balance and the reservation never both miss (or both count) the same charge for long.
// When a chain state shows a batch settled, its reservation becomes this instance's spend in the state's
// period (`spent`): the common basis of shares counts it (shares.ts).
// Amounts are USDC base units; units are requests as counted on chain (deduct_usage request_count).
import { NO_PENDING_TIER, type TierTerms } from "../../../sdk/src/constants";
import type { PeriodSpend, UncountedBatch } from "./shares";
import type { TeamChainState } from "./source";

export class TeamBookError extends Error {}

interface Stage {
  units: bigint;
  charged: bigint;
}

export class TeamBook {
  /** Admitted and not yet sealed into a batch. */
  private readonly unbatched: Stage = { units: 0n, charged: 0n };
  /** Sealed batches the chain has not shown settled yet, by batch_seq. */
  private readonly batches = new Map<bigint, Stage>();
  /** Units of all unsettled requests: they will add to period_requests when settled. */
  reservedUnits = 0n;
  /** Cost of all unsettled requests. */
  reservedCharged = 0n;
  /** Cost admitted since chain data went stale (onChainUnavailable "allow-up-to"); reset by fresh data. */
  staleCharged = 0n;
  /** Latest chain state observed. */
  state: TeamChainState | undefined;
  /** This instance's batches settled in the period ending `spent.key` (shares.ts); null before the first. */
  spent: PeriodSpend | null = null;
  /** Settled batches of an unknown period (the usage log's, after a restart): counted in the next state's period. */
  private unkeyed: UncountedBatch | null = null;
  /** Told each new `spent` (the gate writes it to the usage log). */
  onSpend: ((spent: PeriodSpend) => void) | null = null;

  /** Takes in a chain state (older slots are ignored), drops the batches it shows settled and counts them as spent. */
  observe(s: TeamChainState): void {
    const prev = this.state;
    if (prev === s || (prev !== undefined && s.slot < prev.slot)) return;
    this.state = s;
    let settled: UncountedBatch | null = this.unkeyed;
    this.unkeyed = null;
    for (const [seq, b] of this.batches) {
      if (seq <= s.lastBatchSeq) {
        this.batches.delete(seq);
        this.reservedUnits -= b.units;
        this.reservedCharged -= b.charged;
        if (!this.counted(seq)) settled = addBatch(settled, seq, b);
      }
    }
    if (settled !== null) this.count(settled, s.periodEnd);
  }

  /**
   * After a restart: what the usage log holds of this instance's spend. `uncounted` are batches it recorded
   * settled after the last count; their period is the first state observed.
   */
  restoreSpend(spent: PeriodSpend | null, uncounted: readonly UncountedBatch[]): void {
    this.spent = spent;
    for (const b of uncounted) if (!this.counted(b.seq)) this.unkeyed = addBatch(this.unkeyed, b.seq, b);
  }

  /** Whether batch `seq` is in `spent` already (the usage log's count, replayed before the batch). */
  private counted(seq: bigint): boolean {
    return this.spent !== null && seq <= this.spent.seq;
  }

  /** Adds settled batches to the spend of the period ending `key` (a later period starts from nothing). */
  private count(settled: UncountedBatch, key: number): void {
    const prev = this.spent;
    const base = prev !== null && prev.key === key ? prev : null;
    this.spent = {
      key,
      seq: prev !== null && prev.seq > settled.seq ? prev.seq : settled.seq,
      charged: (base?.charged ?? 0n) + settled.charged,
      units: (base?.units ?? 0n) + settled.units,
    };
    this.onSpend?.(this.spent);
  }

  reserve(units: bigint, charged: bigint): void {
    this.unbatched.units += units;
    this.unbatched.charged += charged;
    this.reservedUnits += units;
    this.reservedCharged += charged;
  }

  /** Gives back a reservation of a request that was not served. */
  release(units: bigint, charged: bigint): void {
    if (units > this.unbatched.units || charged > this.unbatched.charged) {
      throw new TeamBookError(`release of ${units} units / ${charged} exceeds unbatched reservations`);
    }
    this.unbatched.units -= units;
    this.unbatched.charged -= charged;
    this.reservedUnits -= units;
    this.reservedCharged -= charged;
  }

  /** Moves served requests into batch `seq` (the settler calls this when it forms the batch). */
  seal(seq: bigint, units: bigint, charged: bigint): void {
    if (units > this.unbatched.units || charged > this.unbatched.charged) {
      throw new TeamBookError(`batch ${seq} of ${units} units / ${charged} exceeds unbatched reservations`);
    }
    if (this.state !== undefined && seq <= this.state.lastBatchSeq) {
      // Already settled on chain (seen before sealing): the reservation ends and counts as spent. Should the
      // seq turn out another settler's (unseal), the spend stays counted: an overcount only holds back budget.
      this.release(units, charged);
      if (!this.counted(seq)) this.count({ seq, units, charged }, this.state.periodEnd);
      return;
    }
    const b = this.batches.get(seq) ?? { units: 0n, charged: 0n };
    b.units += units;
    b.charged += charged;
    this.batches.set(seq, b);
    this.unbatched.units -= units;
    this.unbatched.charged -= charged;
  }

  /**
   * Moves batch `seq` (given back unsent: another settler holds that batch_seq) back to the unbatched
   * stage. When a chain state showing `seq` settled (the other settler's batch) already ended it, the
   * reservation starts again.
   */
  unseal(seq: bigint, units: bigint, charged: bigint): void {
    const b = this.batches.get(seq);
    if (b === undefined) {
      this.reserve(units, charged);
      return;
    }
    if (units > b.units || charged > b.charged) {
      throw new TeamBookError(`unseal of ${units} units / ${charged} exceeds batch ${seq}`);
    }
    b.units -= units;
    b.charged -= charged;
    if (b.units === 0n && b.charged === 0n) this.batches.delete(seq);
    this.unbatched.units += units;
    this.unbatched.charged += charged;
  }

  /** Batches sealed and not yet seen settled. */
  get batchesInFlight(): number {
    return this.batches.size;
  }

  /** What the batches sealed and not yet seen settled reserve: the charges that may be on chain already. */
  get sealed(): { units: bigint; charged: bigint } {
    let units = 0n;
    let charged = 0n;
    for (const b of this.batches.values()) {
      units += b.units;
      charged += b.charged;
    }
    return { units, charged };
  }
}

/** `into` plus batch `seq` (null: nothing yet). */
function addBatch(into: UncountedBatch | null, seq: bigint, b: { units: bigint; charged: bigint }): UncountedBatch {
  if (into === null) return { seq, units: b.units, charged: b.charged };
  return { seq: seq > into.seq ? seq : into.seq, units: into.units + b.units, charged: into.charged + b.charged };
}

/**
 * Base fees the settler will charge (through roll_period) before or with the next settlement:
 * the current period's fee when not paid yet, plus the next period's fee (pending tier if any) when
 * the period ends within `horizonSec` of `nowSec`.
 */
export function baseFeeDue(s: TeamChainState, nowSec: number, horizonSec: number): bigint {
  let due = 0n;
  if (!s.baseFeePaid) due += termsOf(s, s.tier).monthlyFee;
  if (nowSec + horizonSec >= s.periodEnd) {
    due += termsOf(s, s.pendingTier === NO_PENDING_TIER ? s.tier : s.pendingTier).monthlyFee;
  }
  return due;
}

/** A gate instance's share of a team's funds when it is the only one, in basis points. */
export const FULL_SHARE_BPS = 10_000;

/**
 * What the other instances may take of `remaining` (requests, base units) when this one holds `shareBps`:
 * all but this instance's share, rounded down. Nothing when nothing remains.
 */
export function othersPart(remaining: bigint, shareBps: number): bigint {
  if (remaining <= 0n || shareBps === FULL_SHARE_BPS) return 0n;
  return remaining - (remaining * BigInt(shareBps)) / BigInt(FULL_SHARE_BPS);
}

/** The team's funds the gates may spend: vault − unpaid debt − pending withdrawal − base fee due (base units). */
export function teamFunds(s: TeamChainState, nowSec: number, horizonSec: number): bigint {
  return s.vaultBalance - s.unpaidBaseFee - s.unpaidOverage - s.pendingWithdrawal - baseFeeDue(s, nowSec, horizonSec);
}

export function termsOf(s: TeamChainState, tier: number): Readonly<TierTerms> {
  const t = s.tiers[tier];
  if (t === undefined) throw new TeamBookError(`team ${s.team}: no terms for tier ${tier}`);
  return t;
}
