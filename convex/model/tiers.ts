// Tier terms as the program's defaults (program-interface.md, `TierTerms`). The chain prices usage itself;
// the ledger uses these for quota alerts and to describe invoice lines. Base units; requests per period.
import { ledgerError } from "./errors";

export type TierTerms = { name: string; monthlyFee: bigint; includedRequests: bigint; overagePrice: bigint };

export const TIERS: readonly TierTerms[] = [
  { name: "Startup", monthlyFee: 50_000_000n, includedRequests: 10_000n, overagePrice: 10_000n },
  { name: "Growth", monthlyFee: 250_000_000n, includedRequests: 100_000n, overagePrice: 5_000n },
  { name: "Enterprise", monthlyFee: 1_000_000_000n, includedRequests: 500_000n, overagePrice: 2_000n },
];

/** Length of a billing period on chain by default, seconds (30 days). */
export const DEFAULT_PERIOD_SECS = 2_592_000;

export function requireTier(tier: number): number {
  if (!Number.isInteger(tier) || tier < 0 || tier >= TIERS.length) {
    throw ledgerError("invalid_argument", `tier must be 0 (Startup), 1 (Growth) or 2 (Enterprise)`);
  }
  return tier;
}

export function tierTerms(tier: number): TierTerms {
  return TIERS[requireTier(tier)];
}
