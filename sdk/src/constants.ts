// Names and numbers of the on-chain contract (see program-interface.md). Amounts are USDC base units
// (1 USDC = 1_000_000) as bigint; times are unix seconds as bigint, like the program's u64/i64.
import { PublicKey } from "@solana/web3.js";
import { IDL_JSON, type PrepaidBilling } from "./idl";

/** The program id, from the IDL's `address` (which the generator reads from Anchor.toml). */
export const PROGRAM_ID = new PublicKey(IDL_JSON.address);

/** PDA seeds: BillingConfig `["config"]`, TeamBillingAccount `["team_billing", owner]`, vault `["team_usdc", owner]`. */
export const CONFIG_SEED = "config";
export const TEAM_SEED = "team_billing";
export const VAULT_SEED = "team_usdc";

/** USDC has 6 decimals: 1 USDC = 1_000_000 base units. */
export const USDC_DECIMALS = 6;
export const USDC = 1_000_000n;

/** Largest u64 and the i64 bounds, the limits of every on-chain integer. */
export const U64_MAX = (1n << 64n) - 1n;
export const I64_MAX = (1n << 63n) - 1n;
export const I64_MIN = -(1n << 63n);

/** Basis points: 10_000 = 100%. */
export const BPS_DENOMINATOR = 10_000n;

export const Tier = { Startup: 0, Growth: 1, Enterprise: 2 } as const;
export type TierId = (typeof Tier)[keyof typeof Tier];
export const TIER_NAMES: Record<TierId, string> = { 0: "Startup", 1: "Growth", 2: "Enterprise" };
export const TIER_COUNT = 3;

/** `pending_tier` value meaning "no tier change scheduled". */
export const NO_PENDING_TIER = 255;

/** Terms of one tier: base units per period, requests per period, base units per request. */
export interface TierTerms {
  monthlyFee: bigint;
  includedRequests: bigint;
  overagePrice: bigint;
}

/** Default tier terms, indexed by tier id (Startup, Growth, Enterprise). */
export const DEFAULT_TIERS: readonly [TierTerms, TierTerms, TierTerms] = Object.freeze([
  Object.freeze({ monthlyFee: 50_000_000n, includedRequests: 10_000n, overagePrice: 10_000n }),
  Object.freeze({ monthlyFee: 250_000_000n, includedRequests: 100_000n, overagePrice: 5_000n }),
  Object.freeze({ monthlyFee: 1_000_000_000n, includedRequests: 500_000n, overagePrice: 2_000n }),
]) as readonly [TierTerms, TierTerms, TierTerms];

/** Default configuration values (seconds, basis points, base units). */
export const DEFAULT_WITHDRAWAL_NOTICE_SECS = 900n;
export const DEFAULT_PERIOD_SECS = 2_592_000n;
export const DEFAULT_BASE_FEE_TREASURY_BPS = 9_000;
export const DEFAULT_OVERAGE_TREASURY_BPS = 0;
export const DEFAULT_LOW_BALANCE_THRESHOLD = 10_000_000n;

/** `TeamBillingAccount.status`. Suspended means the team has unpaid debt. */
export const TeamStatus = { Active: 0, Suspended: 1 } as const;
export type TeamStatusCode = (typeof TeamStatus)[keyof typeof TeamStatus];

/** `RevenueDistributed.source`: what the distributed amount paid for. */
export const RevenueSource = { BaseFee: 0, Overage: 1, Proration: 2, Debt: 3 } as const;
export type RevenueSourceCode = (typeof RevenueSource)[keyof typeof RevenueSource];

// The generated type holds camelCase names (anchor's client convention); the contract's event and error
// names are PascalCase, which for these names is exactly `Capitalize` of the camelCase form.

/** Event names, exactly as in the contract (e.g. "UsageDeducted"). */
export type EventName = Capitalize<PrepaidBilling["events"][number]["name"]>;
export const EVENT_NAMES: readonly EventName[] = IDL_JSON.events.map((e) => e.name as EventName);

/** Program error names (e.g. "BatchAlreadySettled") and their codes (6000…), from the IDL. */
export type ProgramErrorName = Capitalize<PrepaidBilling["errors"][number]["name"]>;
export const ERROR_CODES: Readonly<Record<ProgramErrorName, number>> = Object.freeze(
  Object.fromEntries(IDL_JSON.errors.map((e) => [e.name, e.code])) as Record<ProgramErrorName, number>,
);
export const ERROR_NAMES: ReadonlyMap<number, ProgramErrorName> = new Map(
  IDL_JSON.errors.map((e) => [e.code, e.name as ProgramErrorName]),
);
