// The program's accounts in the SDK's public shape (bigint amounts and times, PublicKey addresses), and
// decoding from raw account data, e.g. from an account subscription, without any network access.
import type { IdlAccounts } from "@coral-xyz/anchor";
import { PublicKey } from "@solana/web3.js";
import type { TeamStatusCode, TierTerms } from "./constants";
import { toBigInt } from "./convert";
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

// Decoding reads the Borsh layout field by field, in the IDL's order (little-endian integers, 32-byte
// keys, bools as 0 or 1), after checking the account's discriminator. About 1 µs per account where
// anchor's BorshAccountsCoder and the field-name conversion took ~40 µs: the gateway decodes every team
// account it polls or is notified of, on the thread that admits requests. Tests compare both on the same data.

/** Bytes of each account's data after its 8-byte discriminator. */
const CONFIG_BYTES = 5 * 32 + 2 * 8 + 3 * 3 * 8 + 2 * 2 + 2;
const TEAM_BYTES = 2 * 32 + 14 * 8 + 7;

function discriminatorOf(name: string): Buffer {
  const account = (IDL_JSON as { accounts: { name: string; discriminator: number[] }[] }).accounts.find((a) => a.name === name);
  if (!account) throw new Error(`the IDL has no account ${name}`);
  return Buffer.from(account.discriminator);
}

const CONFIG_DISCRIMINATOR = discriminatorOf("BillingConfig");
const TEAM_DISCRIMINATOR = discriminatorOf("TeamBillingAccount");

/** Reads one account's fields in order. */
class BorshReader {
  private readonly data: Buffer;
  private at = 8;

  constructor(data: Uint8Array, name: string, discriminator: Buffer, bytes: number) {
    this.data = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    if (this.data.length < 8 || !discriminator.equals(this.data.subarray(0, 8))) throw new Error(`not a ${name} account (discriminator)`);
    if (this.data.length < 8 + bytes) throw new Error(`${name} account data is ${this.data.length} bytes, expected ${8 + bytes}`);
  }

  pubkey(): PublicKey {
    const key = new PublicKey(this.data.subarray(this.at, this.at + 32));
    this.at += 32;
    return key;
  }
  u64(): bigint {
    const v = this.data.readBigUInt64LE(this.at);
    this.at += 8;
    return v;
  }
  i64(): bigint {
    const v = this.data.readBigInt64LE(this.at);
    this.at += 8;
    return v;
  }
  u16(): number {
    const v = this.data.readUInt16LE(this.at);
    this.at += 2;
    return v;
  }
  u8(): number {
    return this.data[this.at++]!;
  }
  bool(): boolean {
    const v = this.u8();
    if (v > 1) throw new Error(`invalid bool ${v} at byte ${this.at - 1}`);
    return v === 1;
  }
}

/** Decodes BillingConfig account data (discriminator checked). */
export function decodeBillingConfig(data: Uint8Array): BillingConfig {
  const r = new BorshReader(data, "BillingConfig", CONFIG_DISCRIMINATOR, CONFIG_BYTES);
  const admin = r.pubkey();
  const billingAuthority = r.pubkey();
  const usdcMint = r.pubkey();
  const treasury = r.pubkey();
  const stakerPool = r.pubkey();
  const withdrawalNoticeSecs = r.i64();
  const periodSecs = r.i64();
  const tiers: TierTerms[] = [];
  for (let i = 0; i < 3; i++) tiers.push({ monthlyFee: r.u64(), includedRequests: r.u64(), overagePrice: r.u64() });
  const baseFeeTreasuryBps = r.u16();
  const overageTreasuryBps = r.u16();
  const paused = r.bool();
  const bump = r.u8();
  return { admin, billingAuthority, usdcMint, treasury, stakerPool, baseFeeTreasuryBps, overageTreasuryBps, withdrawalNoticeSecs, periodSecs, paused, tiers, bump };
}

/** Decodes TeamBillingAccount data (discriminator checked). */
export function decodeTeamBillingAccount(data: Uint8Array): TeamBillingAccount {
  const r = new BorshReader(data, "TeamBillingAccount", TEAM_DISCRIMINATOR, TEAM_BYTES);
  const owner = r.pubkey();
  const vault = r.pubkey();
  const periodStart = r.i64();
  const periodEnd = r.i64();
  const periodRequests = r.u64();
  const periodOverageSpend = r.u64();
  const spendCap = r.u64();
  const lowBalanceThreshold = r.u64();
  const lastBatchSeq = r.u64();
  const unpaidBaseFee = r.u64();
  const unpaidOverage = r.u64();
  const pendingWithdrawal = r.u64();
  const withdrawalUnlockAt = r.i64();
  const totalDeposited = r.u64();
  const totalWithdrawn = r.u64();
  const totalSpent = r.u64();
  const tier = r.u8();
  const pendingTier = r.u8();
  const status = r.u8() as TeamStatusCode;
  const baseFeePaid = r.bool();
  const lowBalanceAlerted = r.bool();
  const bump = r.u8();
  const vaultBump = r.u8();
  return {
    owner, vault, tier, pendingTier, status, periodStart, periodEnd, baseFeePaid, periodRequests, periodOverageSpend, spendCap,
    lowBalanceThreshold, lowBalanceAlerted, lastBatchSeq, unpaidBaseFee, unpaidOverage, pendingWithdrawal, withdrawalUnlockAt,
    totalDeposited, totalWithdrawn, totalSpent, bump, vaultBump,
  };
}
