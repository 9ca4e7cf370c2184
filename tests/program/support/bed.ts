// The program test bed: a deployment from tests/support plus what the program suite needs on top of it —
// an outsider provider (a fee payer with no role, so signers are exactly the ones a test names), anchor
// `Program` account sets per instruction that a test can override one account at a time, forged
// accounts (another mint, foreign token accounts, configs and teams copied to addresses the program
// must refuse), events of the last transaction, and the conservation check run after every step.
import assert from "node:assert/strict";
import { BN, Program } from "@coral-xyz/anchor";
import { ACCOUNT_SIZE, TOKEN_2022_PROGRAM_ID, TOKEN_PROGRAM_ID, unpackAccount } from "@solana/spl-token";
import { Keypair, PublicKey, SystemProgram, Transaction, type Signer, type TransactionInstruction } from "@solana/web3.js";
import type { Address } from "@solana/kit";
import type { LiteSVM } from "litesvm";
import {
  IDL,
  IDL_JSON,
  TeamStatus,
  decodeTeamBillingAccount,
  parseEvents,
  type BillingEvent,
  type PrepaidBilling,
  type TeamBillingAccount,
} from "../../../sdk/src";
import {
  LiteSvmProvider,
  createMint,
  createTokenAccount,
  initializeDeployment,
  mintTo,
  type Deployment,
  type DeploymentOptions,
  type TeamFixture,
} from "../../support";

/** anchor's BN from a bigint (u64/i64 arguments). */
export const bn = (v: bigint): BN => new BN(v.toString(10));
export const ZERO_ROOT: number[] = Array<number>(32).fill(0);
/** Longest withdrawal notice the program accepts (`MAX_WITHDRAWAL_NOTICE_SECS`): 30 days, in seconds. */
export const MAX_WITHDRAWAL_NOTICE_SECS = 2_592_000n;
/** Longest billing period the program accepts (`MAX_PERIOD_SECS`): 366 days, in seconds. */
export const MAX_PERIOD_SECS = 31_622_400n;

const TEAM_DISCRIMINATOR = Buffer.from(IDL_JSON.accounts.find((a) => a.name === "TeamBillingAccount")?.discriminator ?? []);

function toAddress(key: PublicKey): Address {
  return key.toBase58() as Address;
}

export type BillingProgram = Program<PrepaidBilling>;

export interface TestBed extends Deployment {
  /** A provider on the same SVM whose wallet (fee payer) holds no role in the deployment. */
  outsider: LiteSvmProvider;
  /** anchor's Program over the outsider provider. */
  program: BillingProgram;
  /** A second 6-decimal mint: "USDC" that is not the configured one. */
  otherMint: PublicKey;
  configAddress: PublicKey;
  /** Total every team has spent that was closed since the bed was made (for the revenue check). */
  retiredSpent: bigint;
  /** `total_spent` of each team at the last conservation check, by address (to retire closed teams). */
  lastSpent: Map<string, bigint>;
  /** When true (the default), conservation is checked after every successful transaction. */
  checkEveryTransaction: boolean;
  /** Token accounts that receive revenue (treasury and staker pools, including replaced ones). */
  revenueAccounts: PublicKey[];
}

export interface BedOptions extends DeploymentOptions {
  /** Check conservation after every successful transaction of either provider; default true. */
  checkEveryTransaction?: boolean;
}

export async function createBed(options: BedOptions = {}): Promise<TestBed> {
  const d = await initializeDeployment(options);
  const outsider = new LiteSvmProvider(d.svm);
  const program = new Program<PrepaidBilling>({ ...IDL, address: d.programId.toBase58() }, outsider);
  const otherMint = await createMint(d.provider, { decimals: 6 });
  const bed: TestBed = Object.assign(d, {
    outsider,
    program,
    otherMint,
    configAddress: d.client.configAddress,
    retiredSpent: 0n,
    lastSpent: new Map<string, bigint>(),
    checkEveryTransaction: options.checkEveryTransaction ?? true,
    revenueAccounts: [d.treasury, d.stakerPool],
  });
  checkAfterEachTransaction(bed, bed.provider);
  checkAfterEachTransaction(bed, bed.outsider);
  return bed;
}

/**
 * Conservation after every step: each successful transaction sent through `provider` (the SDK client,
 * anchor's `.rpc()`, the token helpers all end in its sendAndConfirm) is followed by assertConserved.
 * A failed transaction changes nothing, so it needs no check.
 */
function checkAfterEachTransaction(bed: TestBed, provider: LiteSvmProvider): void {
  const send = provider.sendAndConfirm.bind(provider);
  provider.sendAndConfirm = async (tx, signers, opts) => {
    const signature = await send(tx, signers, opts);
    if (bed.checkEveryTransaction) await assertConserved(bed, `after transaction ${signature.slice(0, 12)}…`);
    return signature;
  };
}

// ---- account sets, as anchor's accountsStrict takes them -------------------------------------------

export function createTeamAccounts(bed: TestBed, owner: PublicKey) {
  return {
    owner,
    config: bed.configAddress,
    team: bed.client.teamAddress(owner),
    vault: bed.client.vaultAddress(owner),
    usdcMint: bed.usdcMint,
    tokenProgram: TOKEN_PROGRAM_ID,
    systemProgram: SystemProgram.programId,
  };
}

export function depositAccounts(bed: TestBed, t: TeamFixture) {
  return { depositor: t.owner.publicKey, depositorToken: t.ownerToken, config: bed.configAddress, team: t.team, vault: t.vault, tokenProgram: TOKEN_PROGRAM_ID };
}

export function settlementAccounts(bed: TestBed, t: TeamFixture) {
  return { config: bed.configAddress, team: t.team, vault: t.vault, treasury: bed.treasury, stakerPool: bed.stakerPool, tokenProgram: TOKEN_PROGRAM_ID };
}

export function deductAccounts(bed: TestBed, t: TeamFixture) {
  return { billingAuthority: bed.billingAuthority.publicKey, ...settlementAccounts(bed, t) };
}

export function tierAccounts(bed: TestBed, t: TeamFixture) {
  return { authority: t.owner.publicKey, ...settlementAccounts(bed, t) };
}

export function limitsAccounts(t: TeamFixture) {
  return { owner: t.owner.publicKey, team: t.team };
}

export function requestAccounts(bed: TestBed, t: TeamFixture) {
  return { owner: t.owner.publicKey, config: bed.configAddress, team: t.team, vault: t.vault };
}

export function withdrawAccounts(bed: TestBed, t: TeamFixture) {
  return { owner: t.owner.publicKey, ownerToken: t.ownerToken, config: bed.configAddress, team: t.team, vault: t.vault, tokenProgram: TOKEN_PROGRAM_ID };
}

export function closeAccounts(t: TeamFixture) {
  return { owner: t.owner.publicKey, team: t.team, vault: t.vault, tokenProgram: TOKEN_PROGRAM_ID };
}

// ---- sending -------------------------------------------------------------------------------------

/** Sends `ixs` through the outsider provider (fee payer without a role) signed by `signers`. */
export async function sendAsOutsider(bed: TestBed, ixs: TransactionInstruction[], signers: Signer[] = []): Promise<string> {
  return bed.outsider.sendAndConfirm(new Transaction().add(...ixs), signers);
}

/** The instruction with `key` no longer marked as a signer (it is then not asked to sign). */
export function withoutSigner(ix: TransactionInstruction, key: PublicKey): TransactionInstruction {
  let found = false;
  for (const meta of ix.keys) {
    if (meta.pubkey.equals(key)) {
      meta.isSigner = false;
      found = true;
    }
  }
  assert.ok(found, `${key.toBase58()} is not an account of the instruction`);
  return ix;
}

/** The instruction with the account at `index` marked read-only. */
export function readonlyAt(ix: TransactionInstruction, index: number): TransactionInstruction {
  ix.keys[index] = { ...ix.keys[index], isWritable: false };
  return ix;
}

/** Events the program emitted in `provider`'s last transaction (anchor's EventParser via the SDK). */
export function lastEvents(provider: LiteSvmProvider, programId: PublicKey): BillingEvent[] {
  const last = provider.lastTransaction;
  assert.ok(last, "no transaction was sent");
  return parseEvents(last.logs, programId);
}

// ---- forged accounts -----------------------------------------------------------------------------

/** A token account of `mint` whose authority is `owner`, holding `amount` freshly minted base units. */
export async function tokenAccount(bed: TestBed, mint: PublicKey, owner: PublicKey, amount = 0n): Promise<PublicKey> {
  const account = await createTokenAccount(bed.provider, mint, owner);
  if (amount > 0n) await mintTo(bed.provider, mint, account, amount);
  return account;
}

/**
 * Copies the account at `source` (data and lamports) to a fresh address, owned by `owner`. With
 * `owner` = this program the copy sits at an address no transaction could have created: it stands for
 * any account of the right layout and owner that is not the PDA the instruction requires.
 */
export function cloneAccount(svm: LiteSVM, source: PublicKey, owner: PublicKey, patch?: (data: Buffer) => void): PublicKey {
  const from = svm.getAccount(toAddress(source));
  assert.ok(from.exists, `${source.toBase58()} does not exist`);
  const data = Buffer.from(from.data);
  patch?.(data);
  const address = Keypair.generate().publicKey;
  svm.setAccount({ address: toAddress(address), data, executable: false, lamports: from.lamports, programAddress: toAddress(owner), space: BigInt(data.length) });
  return address;
}

/** The account's data as hex ("-" when it does not exist). */
export function rawData(bed: { svm: LiteSVM }, key: PublicKey): string {
  const account = bed.svm.getAccount(toAddress(key));
  return account.exists ? Buffer.from(account.data).toString("hex") : "-";
}

/**
 * Plants, at a fresh address owned by this program, the account `source` holds (`kind` "billingConfig" or
 * "teamBillingAccount") with `patch` applied to its decoded fields (anchor's coder, so the layout is the
 * IDL's). The SDK's camelCase bigint shape is converted to anchor's BN shape and back.
 */
export async function plantAccount<T extends object>(bed: TestBed, source: PublicKey, kind: "billingConfig" | "teamBillingAccount", patch: (decoded: T) => T): Promise<PublicKey> {
  const coder = bed.program.coder.accounts;
  const from = bed.svm.getAccount(toAddress(source));
  assert.ok(from.exists, `${source.toBase58()} does not exist`);
  const decoded = coder.decode<Record<string, unknown>>(kind, Buffer.from(from.data));
  const asBigint = Object.fromEntries(Object.entries(decoded).map(([k, v]) => [k, BN.isBN(v) ? BigInt((v as BN).toString(10)) : v])) as T;
  const patched = Object.fromEntries(Object.entries(patch(asBigint)).map(([k, v]) => [k, typeof v === "bigint" ? bn(v) : v]));
  const data = await coder.encode(kind, patched);
  const address = Keypair.generate().publicKey;
  const bytes = Buffer.alloc(from.data.length);
  data.copy(bytes);
  bed.svm.setAccount({ address: toAddress(address), data: bytes, executable: false, lamports: from.lamports, programAddress: toAddress(bed.programId), space: BigInt(bytes.length) });
  return address;
}

/** A program id that is not ours (Token-2022, present in every SVM), for "owned by another program". */
export const FOREIGN_PROGRAM = TOKEN_2022_PROGRAM_ID;

// ---- reading ------------------------------------------------------------------------------------

export function tokenAmount(bed: TestBed, account: PublicKey): bigint {
  const info = bed.svm.getAccount(toAddress(account));
  if (!info.exists) return 0n;
  return unpackAccount(account, { data: Buffer.from(info.data), executable: false, lamports: Number(info.lamports), owner: new PublicKey(info.programAddress) }, TOKEN_PROGRAM_ID).amount;
}

/** Every TeamBillingAccount the program owns, decoded. */
export function allTeams(bed: TestBed): { address: PublicKey; team: TeamBillingAccount }[] {
  return bed.svm
    .getProgramAccounts(toAddress(bed.programId))
    .filter((a) => Buffer.from(a.data.subarray(0, 8)).equals(TEAM_DISCRIMINATOR))
    .map((a) => ({ address: new PublicKey(a.address), team: decodeTeamBillingAccount(Uint8Array.from(a.data)) }));
}

/** Balances of every token account of the configured mint, by address. */
export function usdcAccounts(bed: TestBed): Map<string, bigint> {
  const out = new Map<string, bigint>();
  const mint = bed.usdcMint.toBuffer();
  for (const a of bed.svm.getProgramAccounts(toAddress(TOKEN_PROGRAM_ID))) {
    if (a.data.length !== ACCOUNT_SIZE || !Buffer.from(a.data.subarray(0, 32)).equals(mint)) continue;
    out.set(a.address, Buffer.from(a.data).readBigUInt64LE(64));
  }
  return out;
}

/**
 * Conservation and bookkeeping after a step, for every team in the SVM:
 * - every base unit ever minted sits in exactly one token account (vaults + treasury + staker pool +
 *   owners' wallets = supply): nothing is created or lost;
 * - each vault holds exactly `total_deposited − total_withdrawn − total_spent` of its team;
 * - the revenue accounts hold exactly what the teams spent (closed teams included);
 * - a team is Suspended exactly when it owes something.
 */
export async function assertConserved(bed: TestBed, label = ""): Promise<void> {
  const teams = new Map(allTeams(bed).map((x) => [x.address.toBase58(), x.team]));
  // A team closed since the last check keeps counting what it spent (its revenue stays paid out).
  for (const [address, spent] of bed.lastSpent) if (!teams.has(address)) bed.retiredSpent += spent;
  bed.lastSpent = new Map([...teams].map(([address, team]) => [address, team.totalSpent]));
  assertConservedState(bed, { balances: usdcAccounts(bed), teams, supply: mintSupply(bed) }, label);
}

/** What conservation is checked on: token balances of the mint and teams, by base58 address, and the mint's supply. */
export interface LedgerState {
  balances: Map<string, bigint>;
  teams: Map<string, TeamBillingAccount>;
  supply: bigint;
}

/** assertConserved on state already read (the fuzzer reads it once per transaction). */
export function assertConservedState(bed: TestBed, state: LedgerState, label = ""): void {
  const at = label ? ` (${label})` : "";
  const { balances, supply } = state;
  let held = 0n;
  for (const v of balances.values()) held += v;
  assert.equal(held, supply, `token accounts hold ${held} but ${supply} were minted${at}`);
  let spent = bed.retiredSpent;
  for (const [address, team] of state.teams) {
    const vault = balances.get(team.vault.toBase58()) ?? 0n;
    const booked = team.totalDeposited - team.totalWithdrawn - team.totalSpent;
    assert.equal(vault, booked, `vault of ${address} holds ${vault}, books say ${booked}${at}`);
    const owes = team.unpaidBaseFee + team.unpaidOverage > 0n;
    assert.equal(team.status, owes ? TeamStatus.Suspended : TeamStatus.Active, `status of ${address} with debt ${team.unpaidBaseFee}+${team.unpaidOverage}${at}`);
    spent += team.totalSpent;
  }
  let revenue = 0n;
  for (const r of new Set(bed.revenueAccounts.map((k) => k.toBase58()))) revenue += balances.get(r) ?? 0n;
  assert.equal(revenue, spent, `revenue accounts hold ${revenue}, teams spent ${spent}${at}`);
}

/** The mint's supply, read directly from the SVM. */
export function mintSupply(bed: TestBed): bigint {
  const account = bed.svm.getAccount(toAddress(bed.usdcMint));
  assert.ok(account.exists, "the mint exists");
  // Mint layout: COption<authority> (36 bytes), then supply u64.
  return Buffer.from(account.data).readBigUInt64LE(36);
}

/** A fresh funded wallet and its team on `tier` with `deposit` in the vault, then conservation checked. */
export async function openTeam(bed: TestBed, options: { tier?: number; deposit?: bigint; walletUsdc?: bigint } = {}): Promise<TeamFixture> {
  const t = await bed.createTeam(options);
  await assertConserved(bed, "team opened");
  return t;
}
