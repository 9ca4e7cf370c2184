// PrepaidBillingClient: one builder per program instruction (returning a TransactionInstruction with every
// account filled: PDAs, token program, system program), a sender per instruction, and typed reads of
// BillingConfig and TeamBillingAccount. Built on @coral-xyz/anchor's Program<PrepaidBilling>, which stays
// available as `client.program`. Amounts are bigint base units (1 USDC = 1_000_000) and are converted to
// anchor's BN only here, at the boundary.
import { Program, type Provider } from "@coral-xyz/anchor";
import { TOKEN_PROGRAM_ID, unpackAccount } from "@solana/spl-token";
import {
  PublicKey,
  SystemProgram,
  Transaction,
  type ConfirmOptions,
  type Signer,
  type TransactionInstruction,
} from "@solana/web3.js";
import { configFromRaw, teamFromRaw, type BillingConfig, type TeamBillingAccount } from "./accounts";
import {
  DEFAULT_BASE_FEE_TREASURY_BPS,
  DEFAULT_OVERAGE_TREASURY_BPS,
  DEFAULT_PERIOD_SECS,
  DEFAULT_TIERS,
  DEFAULT_WITHDRAWAL_NOTICE_SECS,
  TIER_COUNT,
  type TierTerms,
} from "./constants";
import { i64ToBN, u16, u64ToBN, u8 } from "./convert";
import { parseEvents, type BillingEvent } from "./events";
import { IDL, type PrepaidBilling } from "./idl";
import { configPda, teamPda, vaultPda } from "./pdas";

/** A signer, or the public key of the provider's wallet (which signs every transaction it sends). */
export type SignerLike = Signer | PublicKey;

/** Where revenue goes; read from BillingConfig when not given. */
export interface SettlementAccounts {
  treasury: PublicKey;
  stakerPool: PublicKey;
}

export interface ClientOptions {
  /** The program id; default the IDL's address. */
  programId?: PublicKey;
}

/** Thrown by fetchConfig/fetchTeam when the account does not exist. */
export class AccountNotFoundError extends Error {
  readonly address: PublicKey;
  constructor(what: string, address: PublicKey) {
    super(`${what} ${address.toBase58()} does not exist`);
    this.name = "AccountNotFoundError";
    this.address = address;
  }
}

export interface InitializeConfigParams {
  admin: SignerLike;
  usdcMint: PublicKey;
  treasury: PublicKey;
  stakerPool: PublicKey;
  billingAuthority: PublicKey;
  /** Seconds; default 900. */
  withdrawalNoticeSecs?: bigint;
  /** Seconds; default 2_592_000. */
  periodSecs?: bigint;
  /** Default 9000. */
  baseFeeTreasuryBps?: number;
  /** Default 0. */
  overageTreasuryBps?: number;
  /** Default DEFAULT_TIERS. */
  tiers?: readonly TierTerms[];
}

/** Each field left undefined stays as it is. */
export interface UpdateConfigParams {
  admin: SignerLike;
  newAdmin?: PublicKey;
  billingAuthority?: PublicKey;
  withdrawalNoticeSecs?: bigint;
  periodSecs?: bigint;
  tiers?: readonly TierTerms[];
  /** New treasury token account (passed as the first remaining account). */
  treasury?: PublicKey;
  /** New staker-pool token account (passed after the treasury, if any). */
  stakerPool?: PublicKey;
  paused?: boolean;
}

export interface CreateTeamAccountParams {
  owner: SignerLike;
  tier: number;
  /** Default: the config's USDC mint. */
  usdcMint?: PublicKey;
}

export interface DepositFundsParams {
  depositor: SignerLike;
  /** The depositor's USDC token account. */
  depositorToken: PublicKey;
  teamOwner: PublicKey;
  amount: bigint;
}

export interface RollPeriodParams {
  teamOwner: PublicKey;
  settlement?: SettlementAccounts;
}

/** One team's usage batch, as `deduct_usage` takes it. */
export interface UsageBatch {
  teamOwner: PublicKey;
  batchSeq: bigint;
  requestCount: bigint;
  /** The batch's usage-receipt Merkle root (32 bytes). */
  usageRoot: Uint8Array;
}

export interface DeductUsageParams extends UsageBatch {
  billingAuthority: SignerLike;
  settlement?: SettlementAccounts;
}

export interface UpdateTierParams {
  /** The team owner or the config admin. */
  authority: SignerLike;
  teamOwner: PublicKey;
  newTier: number;
  settlement?: SettlementAccounts;
}

export interface SetTeamLimitsParams {
  owner: SignerLike;
  /** Base units; an alert fires when the vault falls below it. */
  lowBalanceThreshold: bigint;
  /** Base units of overage per period; 0 = no cap. */
  spendCap: bigint;
}

export interface RequestWithdrawalParams {
  owner: SignerLike;
  /** Base units; 0 cancels the pending request. */
  amount: bigint;
}

export interface WithdrawUnusedParams {
  owner: SignerLike;
  /** The owner's USDC token account receiving the funds. */
  ownerToken: PublicKey;
}

export interface CloseTeamAccountParams {
  owner: SignerLike;
}

function publicKeyOf(signer: SignerLike): PublicKey {
  return signer instanceof PublicKey ? signer : signer.publicKey;
}

function signersOf(...signers: SignerLike[]): Signer[] {
  const out: Signer[] = [];
  for (const s of signers) {
    if (!(s instanceof PublicKey) && !out.some((o) => o.publicKey.equals(s.publicKey))) out.push(s);
  }
  return out;
}

function root32(root: Uint8Array): number[] {
  if (!(root instanceof Uint8Array) || root.length !== 32) throw new RangeError("usageRoot must be 32 bytes");
  return Array.from(root);
}

function tiersArg(tiers: readonly TierTerms[]) {
  if (tiers.length !== TIER_COUNT) throw new RangeError(`tiers must hold ${TIER_COUNT} entries, got ${tiers.length}`);
  return tiers.map((t, i) => ({
    monthlyFee: u64ToBN(t.monthlyFee, `tiers[${i}].monthlyFee`),
    includedRequests: u64ToBN(t.includedRequests, `tiers[${i}].includedRequests`),
    overagePrice: u64ToBN(t.overagePrice, `tiers[${i}].overagePrice`),
  }));
}

export class PrepaidBillingClient {
  readonly program: Program<PrepaidBilling>;
  readonly provider: Provider;
  readonly programId: PublicKey;

  constructor(provider: Provider, options: ClientOptions = {}) {
    const idl = options.programId ? { ...IDL, address: options.programId.toBase58() } : IDL;
    this.program = new Program<PrepaidBilling>(idl, provider);
    this.provider = provider;
    this.programId = this.program.programId;
  }

  // ---- addresses -------------------------------------------------------------------------------

  get configAddress(): PublicKey {
    return configPda(this.programId).address;
  }

  teamAddress(owner: PublicKey): PublicKey {
    return teamPda(owner, this.programId).address;
  }

  vaultAddress(owner: PublicKey): PublicKey {
    return vaultPda(owner, this.programId).address;
  }

  // ---- reads -----------------------------------------------------------------------------------

  async fetchConfigOrNull(): Promise<BillingConfig | null> {
    const raw = await this.program.account.billingConfig.fetchNullable(this.configAddress);
    return raw ? configFromRaw(raw) : null;
  }

  async fetchConfig(): Promise<BillingConfig> {
    const config = await this.fetchConfigOrNull();
    if (!config) throw new AccountNotFoundError("BillingConfig", this.configAddress);
    return config;
  }

  async fetchTeamOrNull(owner: PublicKey): Promise<TeamBillingAccount | null> {
    const raw = await this.program.account.teamBillingAccount.fetchNullable(this.teamAddress(owner));
    return raw ? teamFromRaw(raw) : null;
  }

  async fetchTeam(owner: PublicKey): Promise<TeamBillingAccount> {
    const team = await this.fetchTeamOrNull(owner);
    if (!team) throw new AccountNotFoundError("TeamBillingAccount", this.teamAddress(owner));
    return team;
  }

  /** Team accounts of many owners in one round trip; null where an owner has none. */
  async fetchTeams(owners: readonly PublicKey[]): Promise<(TeamBillingAccount | null)[]> {
    const raws = await this.program.account.teamBillingAccount.fetchMultiple(owners.map((o) => this.teamAddress(o)));
    return raws.map((raw) => (raw ? teamFromRaw(raw) : null));
  }

  /** The team vault's token balance, base units. */
  async vaultBalance(owner: PublicKey): Promise<bigint> {
    const address = this.vaultAddress(owner);
    const info = await this.provider.connection.getAccountInfo(address);
    if (!info) throw new AccountNotFoundError("team vault", address);
    return unpackAccount(address, info, TOKEN_PROGRAM_ID).amount;
  }

  /** Treasury and staker pool from the config (one read). */
  async settlementAccounts(): Promise<SettlementAccounts> {
    const config = await this.fetchConfig();
    return { treasury: config.treasury, stakerPool: config.stakerPool };
  }

  // ---- instruction builders --------------------------------------------------------------------

  async initializeConfigIx(p: InitializeConfigParams): Promise<TransactionInstruction> {
    return this.program.methods
      .initializeConfig({
        billingAuthority: p.billingAuthority,
        withdrawalNoticeSecs: i64ToBN(p.withdrawalNoticeSecs ?? DEFAULT_WITHDRAWAL_NOTICE_SECS, "withdrawalNoticeSecs"),
        periodSecs: i64ToBN(p.periodSecs ?? DEFAULT_PERIOD_SECS, "periodSecs"),
        baseFeeTreasuryBps: u16(p.baseFeeTreasuryBps ?? DEFAULT_BASE_FEE_TREASURY_BPS, "baseFeeTreasuryBps"),
        overageTreasuryBps: u16(p.overageTreasuryBps ?? DEFAULT_OVERAGE_TREASURY_BPS, "overageTreasuryBps"),
        tiers: tiersArg(p.tiers ?? DEFAULT_TIERS),
      })
      .accountsStrict({
        admin: publicKeyOf(p.admin),
        config: this.configAddress,
        usdcMint: p.usdcMint,
        treasury: p.treasury,
        stakerPool: p.stakerPool,
        systemProgram: SystemProgram.programId,
      })
      .instruction();
  }

  async updateConfigIx(p: UpdateConfigParams): Promise<TransactionInstruction> {
    const remaining = [p.treasury, p.stakerPool]
      .filter((k): k is PublicKey => k !== undefined)
      .map((pubkey) => ({ pubkey, isSigner: false, isWritable: false }));
    return this.program.methods
      .updateConfig({
        newAdmin: p.newAdmin ?? null,
        billingAuthority: p.billingAuthority ?? null,
        withdrawalNoticeSecs: p.withdrawalNoticeSecs === undefined ? null : i64ToBN(p.withdrawalNoticeSecs, "withdrawalNoticeSecs"),
        periodSecs: p.periodSecs === undefined ? null : i64ToBN(p.periodSecs, "periodSecs"),
        tiers: p.tiers === undefined ? null : tiersArg(p.tiers),
        treasury: p.treasury ?? null,
        stakerPool: p.stakerPool ?? null,
        paused: p.paused ?? null,
      })
      .accountsStrict({ admin: publicKeyOf(p.admin), config: this.configAddress })
      .remainingAccounts(remaining)
      .instruction();
  }

  async createTeamAccountIx(p: CreateTeamAccountParams): Promise<TransactionInstruction> {
    const owner = publicKeyOf(p.owner);
    const usdcMint = p.usdcMint ?? (await this.fetchConfig()).usdcMint;
    return this.program.methods
      .createTeamAccount(u8(p.tier, "tier"))
      .accountsStrict({
        owner,
        config: this.configAddress,
        team: this.teamAddress(owner),
        vault: this.vaultAddress(owner),
        usdcMint,
        tokenProgram: TOKEN_PROGRAM_ID,
        systemProgram: SystemProgram.programId,
      })
      .instruction();
  }

  async depositFundsIx(p: DepositFundsParams): Promise<TransactionInstruction> {
    return this.program.methods
      .depositFunds(u64ToBN(p.amount, "amount"))
      .accountsStrict({
        depositor: publicKeyOf(p.depositor),
        depositorToken: p.depositorToken,
        config: this.configAddress,
        team: this.teamAddress(p.teamOwner),
        vault: this.vaultAddress(p.teamOwner),
        tokenProgram: TOKEN_PROGRAM_ID,
      })
      .instruction();
  }

  async rollPeriodIx(p: RollPeriodParams): Promise<TransactionInstruction> {
    const settlement = p.settlement ?? (await this.settlementAccounts());
    return this.program.methods
      .rollPeriod()
      .accountsStrict({
        config: this.configAddress,
        team: this.teamAddress(p.teamOwner),
        vault: this.vaultAddress(p.teamOwner),
        treasury: settlement.treasury,
        stakerPool: settlement.stakerPool,
        tokenProgram: TOKEN_PROGRAM_ID,
      })
      .instruction();
  }

  async deductUsageIx(p: DeductUsageParams): Promise<TransactionInstruction> {
    const settlement = p.settlement ?? (await this.settlementAccounts());
    return this.program.methods
      .deductUsage(u64ToBN(p.batchSeq, "batchSeq"), u64ToBN(p.requestCount, "requestCount"), root32(p.usageRoot))
      .accountsStrict({
        billingAuthority: publicKeyOf(p.billingAuthority),
        config: this.configAddress,
        team: this.teamAddress(p.teamOwner),
        vault: this.vaultAddress(p.teamOwner),
        treasury: settlement.treasury,
        stakerPool: settlement.stakerPool,
        tokenProgram: TOKEN_PROGRAM_ID,
      })
      .instruction();
  }

  /** `deduct_usage` for many teams (one instruction each, in order), reading the config at most once. */
  async deductUsageIxs(
    billingAuthority: SignerLike,
    batches: readonly UsageBatch[],
    settlement?: SettlementAccounts,
  ): Promise<TransactionInstruction[]> {
    if (batches.length === 0) return [];
    const accounts = settlement ?? (await this.settlementAccounts());
    return Promise.all(batches.map((b) => this.deductUsageIx({ ...b, billingAuthority, settlement: accounts })));
  }

  async updateTierIx(p: UpdateTierParams): Promise<TransactionInstruction> {
    const settlement = p.settlement ?? (await this.settlementAccounts());
    return this.program.methods
      .updateTier(u8(p.newTier, "newTier"))
      .accountsStrict({
        authority: publicKeyOf(p.authority),
        config: this.configAddress,
        team: this.teamAddress(p.teamOwner),
        vault: this.vaultAddress(p.teamOwner),
        treasury: settlement.treasury,
        stakerPool: settlement.stakerPool,
        tokenProgram: TOKEN_PROGRAM_ID,
      })
      .instruction();
  }

  async setTeamLimitsIx(p: SetTeamLimitsParams): Promise<TransactionInstruction> {
    const owner = publicKeyOf(p.owner);
    return this.program.methods
      .setTeamLimits(u64ToBN(p.lowBalanceThreshold, "lowBalanceThreshold"), u64ToBN(p.spendCap, "spendCap"))
      .accountsStrict({ owner, team: this.teamAddress(owner) })
      .instruction();
  }

  async requestWithdrawalIx(p: RequestWithdrawalParams): Promise<TransactionInstruction> {
    const owner = publicKeyOf(p.owner);
    return this.program.methods
      .requestWithdrawal(u64ToBN(p.amount, "amount"))
      .accountsStrict({ owner, config: this.configAddress, team: this.teamAddress(owner), vault: this.vaultAddress(owner) })
      .instruction();
  }

  async withdrawUnusedIx(p: WithdrawUnusedParams): Promise<TransactionInstruction> {
    const owner = publicKeyOf(p.owner);
    return this.program.methods
      .withdrawUnused()
      .accountsStrict({
        owner,
        ownerToken: p.ownerToken,
        config: this.configAddress,
        team: this.teamAddress(owner),
        vault: this.vaultAddress(owner),
        tokenProgram: TOKEN_PROGRAM_ID,
      })
      .instruction();
  }

  async closeTeamAccountIx(p: CloseTeamAccountParams): Promise<TransactionInstruction> {
    const owner = publicKeyOf(p.owner);
    return this.program.methods
      .closeTeamAccount()
      .accountsStrict({ owner, team: this.teamAddress(owner), vault: this.vaultAddress(owner), tokenProgram: TOKEN_PROGRAM_ID })
      .instruction();
  }

  // ---- senders ---------------------------------------------------------------------------------

  /**
   * Sends instructions as one legacy transaction through the provider (whose wallet pays the fee and
   * signs) with the extra `signers`, and returns the signature. Failures surface as the provider throws
   * them; `programErrorOf(err)` names the program error.
   */
  async send(ixs: readonly TransactionInstruction[], signers: readonly SignerLike[] = [], opts?: ConfirmOptions): Promise<string> {
    if (!this.provider.sendAndConfirm) throw new Error("the provider cannot send transactions (no sendAndConfirm)");
    const tx = new Transaction().add(...ixs);
    return this.provider.sendAndConfirm(tx, signersOf(...signers), opts);
  }

  /** The program events of a confirmed transaction, read back through the provider's connection. */
  async eventsOf(signature: string): Promise<BillingEvent[]> {
    const tx = await this.provider.connection.getTransaction(signature, { commitment: "confirmed", maxSupportedTransactionVersion: 0 });
    return parseEvents(tx?.meta?.logMessages ?? [], this.programId);
  }

  initializeConfig(p: InitializeConfigParams): Promise<string> {
    return this.initializeConfigIx(p).then((ix) => this.send([ix], [p.admin]));
  }

  updateConfig(p: UpdateConfigParams): Promise<string> {
    return this.updateConfigIx(p).then((ix) => this.send([ix], [p.admin]));
  }

  createTeamAccount(p: CreateTeamAccountParams): Promise<string> {
    return this.createTeamAccountIx(p).then((ix) => this.send([ix], [p.owner]));
  }

  depositFunds(p: DepositFundsParams): Promise<string> {
    return this.depositFundsIx(p).then((ix) => this.send([ix], [p.depositor]));
  }

  rollPeriod(p: RollPeriodParams): Promise<string> {
    return this.rollPeriodIx(p).then((ix) => this.send([ix]));
  }

  deductUsage(p: DeductUsageParams): Promise<string> {
    return this.deductUsageIx(p).then((ix) => this.send([ix], [p.billingAuthority]));
  }

  updateTier(p: UpdateTierParams): Promise<string> {
    return this.updateTierIx(p).then((ix) => this.send([ix], [p.authority]));
  }

  setTeamLimits(p: SetTeamLimitsParams): Promise<string> {
    return this.setTeamLimitsIx(p).then((ix) => this.send([ix], [p.owner]));
  }

  requestWithdrawal(p: RequestWithdrawalParams): Promise<string> {
    return this.requestWithdrawalIx(p).then((ix) => this.send([ix], [p.owner]));
  }

  withdrawUnused(p: WithdrawUnusedParams): Promise<string> {
    return this.withdrawUnusedIx(p).then((ix) => this.send([ix], [p.owner]));
  }

  closeTeamAccount(p: CloseTeamAccountParams): Promise<string> {
    return this.closeTeamAccountIx(p).then((ix) => this.send([ix], [p.owner]));
  }
}
