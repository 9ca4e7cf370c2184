// A deployment before `initialize_config`: the program loaded, a USDC-like mint with treasury and staker
// pool accounts, and an admin that is not the fee payer (so a test can leave its signature out).
import { Program } from "@coral-xyz/anchor";
import { Keypair, SystemProgram, type PublicKey } from "@solana/web3.js";
import { LiteSVM } from "litesvm";
import {
  DEFAULT_BASE_FEE_TREASURY_BPS,
  DEFAULT_OVERAGE_TREASURY_BPS,
  DEFAULT_PERIOD_SECS,
  DEFAULT_TIERS,
  DEFAULT_WITHDRAWAL_NOTICE_SECS,
  IDL,
  configPda,
  type PrepaidBilling,
  type TierTerms,
} from "../../../sdk/src";
import { DEFAULT_START_TIME, LiteSvmProvider, createMint, createTokenAccount, loadProgram, warpTo } from "../../support";
import { bn } from "./bed";

export interface BareDeployment {
  svm: LiteSVM;
  /** Fee payer of the setup transactions (mint authority). */
  provider: LiteSvmProvider;
  /** Fee payer with no role, for the transactions under test. */
  outsider: LiteSvmProvider;
  program: Program<PrepaidBilling>;
  programId: PublicKey;
  admin: Keypair;
  billingAuthority: Keypair;
  usdcMint: PublicKey;
  otherMint: PublicKey;
  treasury: PublicKey;
  stakerPool: PublicKey;
  config: PublicKey;
}

export async function bareDeployment(): Promise<BareDeployment> {
  const svm = new LiteSVM();
  warpTo(svm, DEFAULT_START_TIME);
  const provider = new LiteSvmProvider(svm);
  const programId = loadProgram(provider);
  const outsider = new LiteSvmProvider(svm);
  const program = new Program<PrepaidBilling>({ ...IDL, address: programId.toBase58() }, outsider);
  const admin = Keypair.generate();
  provider.airdrop(admin.publicKey, 10_000_000_000n);
  const usdcMint = await createMint(provider);
  const otherMint = await createMint(provider);
  const treasury = await createTokenAccount(provider, usdcMint, Keypair.generate().publicKey);
  const stakerPool = await createTokenAccount(provider, usdcMint, Keypair.generate().publicKey);
  return { svm, provider, outsider, program, programId, admin, billingAuthority: Keypair.generate(), usdcMint, otherMint, treasury, stakerPool, config: configPda(programId).address };
}

export interface InitOverrides {
  withdrawalNoticeSecs?: bigint;
  periodSecs?: bigint;
  baseFeeTreasuryBps?: number;
  overageTreasuryBps?: number;
  tiers?: readonly TierTerms[];
}

/** `InitConfigArgs` as anchor encodes it, defaults from the contract. */
export function initArgs(b: BareDeployment, o: InitOverrides = {}) {
  return {
    billingAuthority: b.billingAuthority.publicKey,
    withdrawalNoticeSecs: bn(o.withdrawalNoticeSecs ?? DEFAULT_WITHDRAWAL_NOTICE_SECS),
    periodSecs: bn(o.periodSecs ?? DEFAULT_PERIOD_SECS),
    baseFeeTreasuryBps: o.baseFeeTreasuryBps ?? DEFAULT_BASE_FEE_TREASURY_BPS,
    overageTreasuryBps: o.overageTreasuryBps ?? DEFAULT_OVERAGE_TREASURY_BPS,
    tiers: (o.tiers ?? DEFAULT_TIERS).map((t) => ({ monthlyFee: bn(t.monthlyFee), includedRequests: bn(t.includedRequests), overagePrice: bn(t.overagePrice) })),
  };
}

export function initAccounts(b: BareDeployment) {
  return {
    admin: b.admin.publicKey,
    config: b.config,
    usdcMint: b.usdcMint,
    treasury: b.treasury,
    stakerPool: b.stakerPool,
    systemProgram: SystemProgram.programId,
  };
}
