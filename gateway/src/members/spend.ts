// Per-member spending the ledger does not show yet, for member allocation checks.
// The ledger's figure (MemberGrant.allocationUsed) arrives with the key record, fetched at some time F.
// Spending this gateway admitted is counted on top of it until the ledger's figure surely includes it:
// costs not yet recorded in the ledger always count; costs recorded at time R count while R ≥ F
// (the record fetched at F may predate them). Amounts are USDC base units.
import type { MemberGrant } from "../keys/source";

interface Spend {
  unrecorded: bigint;
  recorded: { cost: bigint; atMs: number }[];
}

export class MemberSpend {
  private readonly spends = new Map<string, Spend>();

  private static key(teamId: string, userId: string): string {
    return `${teamId}\u0000${userId}`;
  }

  /** Spending to compare with the allocation: ledger figure plus what the ledger may not include. */
  spent(teamId: string, userId: string, grant: MemberGrant, fetchedAt: number): bigint {
    const s = this.spends.get(MemberSpend.key(teamId, userId));
    if (s === undefined) return grant.allocationUsed;
    let extra = s.unrecorded;
    if (s.recorded.length > 0) {
      s.recorded = s.recorded.filter((r) => r.atMs >= fetchedAt);
      for (const r of s.recorded) extra += r.cost;
    }
    return grant.allocationUsed + extra;
  }

  /** An admitted request's cost. */
  add(teamId: string, userId: string, cost: bigint): void {
    const k = MemberSpend.key(teamId, userId);
    const s = this.spends.get(k);
    if (s === undefined) this.spends.set(k, { unrecorded: cost, recorded: [] });
    else s.unrecorded += cost;
  }

  /** A request that was not served gives its cost back. */
  release(teamId: string, userId: string, cost: bigint): void {
    const s = this.spends.get(MemberSpend.key(teamId, userId));
    if (s === undefined || s.unrecorded < cost) {
      throw new RangeError(`member ${userId}: release of ${cost} exceeds unrecorded spending`);
    }
    s.unrecorded -= cost;
  }

  /**
   * The ledger recorded `cost` of this member's spending at clock `atMs` (after the ledger call returned).
   * Moves at most what is held unrecorded: this bookkeeping must never stop a settlement.
   */
  recorded(teamId: string, userId: string, cost: bigint, atMs: number): void {
    const s = this.spends.get(MemberSpend.key(teamId, userId));
    if (s === undefined) return;
    const moved = cost < s.unrecorded ? cost : s.unrecorded;
    s.unrecorded -= moved;
    s.recorded.push({ cost: moved, atMs });
  }
}
