// Shared test fixtures: a team's chain state with the default tier terms.
import { DEFAULT_TIERS, NO_PENDING_TIER } from "../../sdk/src/constants";
import type { TeamChainState } from "../src/balance/source";

export const USDC = 1_000_000n;
/** Unix seconds of the fixture period end: 30 days after the TestClock's default time. */
export const PERIOD_END = 1_700_000_000 + 2_592_000;
/** The default BillingConfig.period_secs: 30 days. */
export const PERIOD_SECS = 2_592_000;

export function teamState(patch: Partial<TeamChainState> = {}): Omit<TeamChainState, "slot" | "observedAtMs"> {
  return {
    team: "TeamPda1111111111111111111111111111111111111",
    vault: "VauLt11111111111111111111111111111111111111",
    mint: "USDCmint11111111111111111111111111111111111",
    tier: 0,
    pendingTier: NO_PENDING_TIER,
    status: 0,
    vaultBalance: 100n * USDC,
    unpaidBaseFee: 0n,
    unpaidOverage: 0n,
    pendingWithdrawal: 0n,
    periodEnd: PERIOD_END,
    periodSecs: PERIOD_SECS,
    baseFeePaid: true,
    periodRequests: 0n,
    periodOverageSpend: 0n,
    spendCap: 0n,
    lastBatchSeq: 0n,
    tiers: DEFAULT_TIERS,
    chainClockOffsetMs: 0,
    ...patch,
  };
}

export function fullState(patch: Partial<TeamChainState> = {}): TeamChainState {
  return { slot: 1, observedAtMs: 0, ...teamState(patch), ...patch } as TeamChainState;
}
