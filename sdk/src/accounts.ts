// The program's accounts in the SDK's public shape (bigint amounts and times, PublicKey addresses), and
// decoding from raw account data, e.g. from an account subscription, without any network access.
import { BorshAccountsCoder, type IdlAccounts } from "@coral-xyz/anchor";
import type { PublicKey } from "@solana/web3.js";
import type { TeamStatusCode, TierTerms } from "./constants";
import { camelKeys, toBigInt } from "./convert";
import { IDL_JSON, type PrepaidBilling } from "./idl";

type RawConfig = IdlAccounts<PrepaidBilling>["billingConfig"];
type RawTeam = IdlAccounts<PrepaidBilling>["teamBillingAccount"];
type RawTierTerms = RawConfig["tiers"][number];

/** `BillingConfig`, one per deployment (PDA `["config"]`). */
export interface BillingConfig {
  admin: PublicKey;
  /** The settlement key allowed to submit usage (`deduct_usage`). */
  billingAuthority: PublicKey;
  usdcMint: PublicKey;
  /** Token account receiving the treasury share. */
  treasury: PublicKey;
  /** Token account receiving the stakers' share. */
  stakerPool: PublicKey;
  /** Treasury share of base fees and proration, basis points (default 9000). */
  baseFeeTreasuryBps: number;
  /** Treasury share of overage, basis points (default 0). */
  overageTreasuryBps: number;
  /** Seconds between `request_withdrawal` and `withdraw_unused` (default 900). */
  withdrawalNoticeSecs: bigint;
  /** Billing period length, seconds (default 2_592_000 = 30 days). */
  periodSecs: bigint;
  paused: boolean;
  /** Terms indexed by tier id. */
  tiers: TierTerms[];
  bump: number;
}

/** `TeamBillingAccount`, one per owner wallet (PDA `["team_billing", owner]`). Amounts in base units. */
export interface TeamBillingAccount {
  owner: PublicKey;
  vault: PublicKey;
  tier: number;
  /** Tier applied at the next period; 255 (NO_PENDING_TIER) = none. */
  pendingTier: number;
  status: TeamStatusCode;
  /** Unix seconds. */
  periodStart: bigint;
  periodEnd: bigint;
  baseFeePaid: boolean;
  periodRequests: bigint;
  periodOverageSpend: bigint;
  /** Cap on overage per period; 0 = none. */
  spendCap: bigint;
  lowBalanceThreshold: bigint;
  lowBalanceAlerted: boolean;
  lastBatchSeq: bigint;
  unpaidBaseFee: bigint;
  unpaidOverage: bigint;
  pendingWithdrawal: bigint;
  /** Unix seconds after which `withdraw_unused` may run. */
  withdrawalUnlockAt: bigint;
  totalDeposited: bigint;
  totalWithdrawn: bigint;
  totalSpent: bigint;
  bump: number;
  vaultBump: number;
}

export function tierTermsFromRaw(raw: RawTierTerms): TierTerms {
  return {
    monthlyFee: toBigInt(raw.monthlyFee),
    includedRequests: toBigInt(raw.includedRequests),
    overagePrice: toBigInt(raw.overagePrice),
  };
}

export function configFromRaw(raw: RawConfig): BillingConfig {
  return {
    admin: raw.admin,
    billingAuthority: raw.billingAuthority,
    usdcMint: raw.usdcMint,
    treasury: raw.treasury,
    stakerPool: raw.stakerPool,
    baseFeeTreasuryBps: raw.baseFeeTreasuryBps,
    overageTreasuryBps: raw.overageTreasuryBps,
    withdrawalNoticeSecs: toBigInt(raw.withdrawalNoticeSecs),
    periodSecs: toBigInt(raw.periodSecs),
    paused: raw.paused,
    tiers: raw.tiers.map(tierTermsFromRaw),
    bump: raw.bump,
  };
}

export function teamFromRaw(raw: RawTeam): TeamBillingAccount {
  return {
    owner: raw.owner,
    vault: raw.vault,
    tier: raw.tier,
    pendingTier: raw.pendingTier,
    status: raw.status as TeamStatusCode,
    periodStart: toBigInt(raw.periodStart),
    periodEnd: toBigInt(raw.periodEnd),
    baseFeePaid: raw.baseFeePaid,
    periodRequests: toBigInt(raw.periodRequests),
    periodOverageSpend: toBigInt(raw.periodOverageSpend),
    spendCap: toBigInt(raw.spendCap),
    lowBalanceThreshold: toBigInt(raw.lowBalanceThreshold),
    lowBalanceAlerted: raw.lowBalanceAlerted,
    lastBatchSeq: toBigInt(raw.lastBatchSeq),
    unpaidBaseFee: toBigInt(raw.unpaidBaseFee),
    unpaidOverage: toBigInt(raw.unpaidOverage),
    pendingWithdrawal: toBigInt(raw.pendingWithdrawal),
    withdrawalUnlockAt: toBigInt(raw.withdrawalUnlockAt),
    totalDeposited: toBigInt(raw.totalDeposited),
    totalWithdrawn: toBigInt(raw.totalWithdrawn),
    totalSpent: toBigInt(raw.totalSpent),
    bump: raw.bump,
    vaultBump: raw.vaultBump,
  };
}

// anchor's BorshAccountsCoder over the IDL as declared: account names are the PascalCase ones, field
// names snake_case. The camelCase field names of the public types come from anchor's Program, which
// converts the IDL first; to decode without a Program we convert the field names here.
let coder: BorshAccountsCoder | undefined;

function accountsCoder(): BorshAccountsCoder {
  coder ??= new BorshAccountsCoder(IDL_JSON as ConstructorParameters<typeof BorshAccountsCoder>[0]);
  return coder;
}

/** Decodes BillingConfig account data (discriminator checked). */
export function decodeBillingConfig(data: Uint8Array): BillingConfig {
  const raw = accountsCoder().decode("BillingConfig", Buffer.from(data));
  return configFromRaw(camelKeys(raw) as RawConfig);
}

/** Decodes TeamBillingAccount account data (discriminator checked). */
export function decodeTeamBillingAccount(data: Uint8Array): TeamBillingAccount {
  const raw = accountsCoder().decode("TeamBillingAccount", Buffer.from(data));
  return teamFromRaw(camelKeys(raw) as RawTeam);
}
