// Fuzzing the deployed program with random instructions: valid discriminators with random or garbage
// arguments, truncated and overlong data, unknown discriminators, and account lists shuffled,
// duplicated, truncated, extended, replaced with other known accounts, with signer and writable flags
// toggled. Every outcome must be clean — a success, or a failure with a Custom error code (the program's,
// Anchor's framework codes, or a token/system program error passed through) — never a panic, an access
// violation, ProgramFailedToComplete or a runtime-level error; and after every transaction conservation
// holds (everything minted is in some token account, every vault matches its books, revenue accounts
// hold what teams spent, a team is Suspended exactly when it owes) and a success's events account for
// every base unit it moved. Seeded: a failure names its seed (rerun with PROGRAM_TEST_SEED=<seed>).
import assert from "node:assert/strict";
import type { IdlField, IdlType } from "@coral-xyz/anchor/dist/cjs/idl";
import { ACCOUNT_SIZE, TOKEN_2022_PROGRAM_ID, TOKEN_PROGRAM_ID } from "@solana/spl-token";
import type { Address } from "@solana/kit";
import { Keypair, PublicKey, SystemProgram, Transaction, TransactionInstruction, type AccountMeta } from "@solana/web3.js";
import { I64_MAX, I64_MIN, IDL_JSON, U64_MAX, USDC, decodeBillingConfig, decodeTeamBillingAccount, eventsNamed, parseEvents, type BillingEvent, type TeamBillingAccount } from "../../sdk/src";
import { advanceClock, mintTo, type TeamFixture } from "../support";
import { Prng, testSeed } from "./support/prng";
import { FOREIGN_PROGRAM, MAX_PERIOD_SECS, MAX_WITHDRAWAL_NOTICE_SECS, allTeams, assertConservedState, bn, cloneAccount, createBed, mintSupply, tokenAccount, usdcAccounts, type TestBed } from "./support/bed";

const ITERATIONS = 10_000;

const TEAM_DISCRIMINATOR = Buffer.from(IDL_JSON.accounts.find((a) => a.name === "TeamBillingAccount")?.discriminator ?? []);
const isTeam = (data: Uint8Array): boolean => TEAM_DISCRIMINATOR.equals(Buffer.from(data.subarray(0, 8)));

type IdlInstruction = TestBed["program"]["idl"]["instructions"][number];
type IdlTypeDef = TestBed["program"]["idl"]["types"][number];

/** Everything the fuzzer may put in an account slot or an argument. */
interface World {
  bed: TestBed;
  /** Teams (and owners who may open one), with their wallets. */
  teams: TeamFixture[];
  /** Keypairs the fuzzer can sign with, by base58 key. */
  signers: Map<string, Keypair>;
  /** Every other account worth trying in a slot. */
  known: PublicKey[];
  /** Token accounts of the mint that may become treasury or staker pool. */
  revenueCandidates: PublicKey[];
  thief: Keypair;
  /** Copies of the config and of a team owned by this program away from their PDAs (must be refused). */
  planted: PublicKey[];
}

interface Outcome {
  instruction: string;
  mode: string;
  ok: boolean;
  code: number | null;
  error: string | null;
}

// ---- arguments ------------------------------------------------------------------------------------

function interestingU64(rng: Prng): bigint {
  return rng.pick([0n, 1n, 2n, 1_000n, USDC, 100n * USDC, U64_MAX, U64_MAX - 1n, 1n << 63n, rng.magnitude(64), rng.magnitude(40), rng.magnitude(30)]);
}

function interestingI64(rng: Prng): bigint {
  // 2_592_000 and 31_622_400 are the longest notice and period the config takes; one more is refused.
  return rng.pick([0n, 1n, -1n, 60n, 900n, 86_400n, 2_592_000n, 2_592_001n, 31_622_400n, 31_622_401n, I64_MAX, I64_MIN, BigInt(rng.range(1, 10_000_000))]);
}

/** The chosen team's state, which makes some arguments plausible (the next batch, an affordable withdrawal). */
interface Hint {
  team: TeamBillingAccount | null;
  vault: bigint;
}

/** A value of IDL type `type` for field `name`, mostly plausible, often extreme. */
function randomValue(w: World, rng: Prng, type: IdlType, name: string, types: IdlTypeDef[], hint: Hint): unknown {
  const { team } = hint;
  if (typeof type === "string") {
    switch (type) {
      case "u8":
        return rng.chance(0.8) ? rng.int(3) : rng.pick([3, 254, 255, rng.int(256)]);
      case "u16":
        return rng.pick([0, 1, 9_000, 10_000, 10_001, 65_535, rng.int(65_536)]);
      case "u64":
        if (name === "batchSeq" && team && rng.chance(0.6)) return bn(team.lastBatchSeq + BigInt(rng.int(3)));
        if (name === "amount" && team && rng.chance(0.4)) {
          const debt = team.unpaidBaseFee + team.unpaidOverage;
          return bn(hint.vault > debt ? rng.below(hint.vault - debt) : 0n);
        }
        if (name === "amount" && rng.chance(0.5)) return bn(rng.magnitude(36));
        if (name === "requestCount" && rng.chance(0.5)) return bn(rng.magnitude(20));
        return bn(interestingU64(rng));
      case "i64":
        return bn(interestingI64(rng));
      case "bool":
        return rng.chance(0.3);
      case "pubkey":
        if (name === "newAdmin") return rng.pick([w.bed.admin.publicKey, w.thief.publicKey]);
        if (name === "treasury" || name === "stakerPool") return rng.pick([...w.revenueCandidates, rng.pick(w.known)]);
        if (name === "billingAuthority") return rng.pick([w.bed.billingAuthority.publicKey, w.bed.billingAuthority.publicKey, w.thief.publicKey, w.bed.admin.publicKey]);
        return rng.pick(w.known);
      default:
        throw new Error(`no generator for ${type}`);
    }
  }
  if ("option" in type) return rng.chance(0.6) ? null : randomValue(w, rng, type.option, name, types, hint);
  if ("array" in type) {
    const [inner, len] = type.array;
    assert.equal(typeof len, "number");
    return Array.from({ length: len as number }, () => randomValue(w, rng, inner, name, types, hint));
  }
  if ("defined" in type) {
    const def = types.find((t) => t.name === type.defined.name);
    assert.ok(def && def.type.kind === "struct", `type ${type.defined.name}`);
    const fields = (def.type.fields ?? []) as IdlField[];
    return Object.fromEntries(fields.map((f) => [f.name, randomValue(w, rng, f.type, f.name, types, hint)]));
  }
  throw new Error(`no generator for ${JSON.stringify(type)}`);
}

// ---- accounts -------------------------------------------------------------------------------------

/** The accounts `ix` declares, filled for team `t` as a correct call would. */
function intendedAccounts(w: World, rng: Prng, ix: IdlInstruction, t: TeamFixture): AccountMeta[] {
  const { bed } = w;
  const byName: Record<string, PublicKey> = {
    admin: bed.admin.publicKey,
    config: bed.configAddress,
    usdcMint: bed.usdcMint,
    treasury: bed.treasury,
    stakerPool: bed.stakerPool,
    systemProgram: SystemProgram.programId,
    tokenProgram: TOKEN_PROGRAM_ID,
    owner: t.owner.publicKey,
    team: t.team,
    vault: t.vault,
    depositor: rng.chance(0.8) ? t.owner.publicKey : rng.pick(w.teams).owner.publicKey,
    depositorToken: t.ownerToken,
    ownerToken: t.ownerToken,
    billingAuthority: bed.billingAuthority.publicKey,
    authority: rng.chance(0.8) ? t.owner.publicKey : bed.admin.publicKey,
  };
  return ix.accounts.map((a) => {
    assert.ok("writable" in a || "signer" in a || "name" in a);
    const account = a as { name: string; writable?: boolean; signer?: boolean };
    const pubkey = byName[account.name];
    assert.ok(pubkey, `no account for ${account.name}`);
    return { pubkey, isSigner: account.signer === true, isWritable: account.writable === true };
  });
}

function mutateAccounts(w: World, rng: Prng, metas: AccountMeta[], modes: string[]): AccountMeta[] {
  let out = metas.map((m) => ({ ...m }));
  const some = () => ({ pubkey: rng.pick(w.known), isSigner: false, isWritable: rng.chance(0.5) });
  const rounds = rng.range(1, 3);
  for (let r = 0; r < rounds; r++) {
    switch (rng.int(8)) {
      case 0:
        out = rng.shuffle(out);
        modes.push("shuffled");
        break;
      case 1:
        if (out.length > 1) {
          const [i, j] = [rng.int(out.length), rng.int(out.length)];
          [out[i], out[j]] = [out[j], out[i]];
          modes.push("swapped");
        }
        break;
      case 2:
        if (out.length > 0) {
          out[rng.int(out.length)] = { ...some(), isSigner: false };
          modes.push("replaced");
        }
        break;
      case 3:
        if (out.length > 1) {
          const from = out[rng.int(out.length)];
          out[rng.int(out.length)] = { ...from };
          modes.push("duplicated");
        }
        break;
      case 4:
        out = out.slice(0, rng.int(out.length + 1));
        modes.push("truncated");
        break;
      case 5:
        for (let k = rng.range(1, 4); k > 0; k--) out.push(some());
        modes.push("extended");
        break;
      case 6:
        if (out.length > 0) {
          const m = out[rng.int(out.length)];
          m.isSigner = !m.isSigner;
          modes.push("signer toggled");
        }
        break;
      default:
        if (out.length > 0) {
          const m = out[rng.int(out.length)];
          m.isWritable = !m.isWritable;
          modes.push("writable toggled");
        }
    }
  }
  return out;
}

// ---- the world ------------------------------------------------------------------------------------

async function buildWorld(rng: Prng): Promise<World> {
  // The fuzzer checks conservation itself, on state it follows transaction by transaction.
  const bed = await createBed({ checkEveryTransaction: false });
  const teams: TeamFixture[] = [];
  for (let i = 0; i < 6; i++) {
    teams.push(await bed.createTeam({ tier: i % 3, walletUsdc: 5_000n * USDC, deposit: rng.pick([0n, 20n * USDC, 300n * USDC, 2_000n * USDC]) }));
  }
  await bed.client.rollPeriod({ teamOwner: teams[0].owner.publicKey });
  await bed.client.rollPeriod({ teamOwner: teams[1].owner.publicKey });
  // Owners without a team yet, who may open one.
  for (let i = 0; i < 2; i++) {
    const owner = Keypair.generate();
    bed.provider.airdrop(owner.publicKey, 10_000_000_000n);
    const ownerToken = await tokenAccount(bed, bed.usdcMint, owner.publicKey, 1_000n * USDC);
    teams.push({ owner, ownerToken, team: bed.client.teamAddress(owner.publicKey), vault: bed.client.vaultAddress(owner.publicKey) });
  }
  const thief = Keypair.generate();
  bed.provider.airdrop(thief.publicKey, 10_000_000_000n);
  const spare = [await tokenAccount(bed, bed.usdcMint, Keypair.generate().publicKey), await tokenAccount(bed, bed.usdcMint, Keypair.generate().publicKey)];
  bed.revenueAccounts.push(...spare);
  const thiefToken = await tokenAccount(bed, bed.usdcMint, thief.publicKey, 50n * USDC);
  const otherMintToken = await tokenAccount(bed, bed.otherMint, thief.publicKey, 50n * USDC);
  const signers = new Map<string, Keypair>();
  for (const k of [bed.admin, bed.billingAuthority, thief, ...teams.map((t) => t.owner)]) signers.set(k.publicKey.toBase58(), k);
  const planted = [cloneAccount(bed.svm, bed.configAddress, bed.programId), cloneAccount(bed.svm, teams[0].team, bed.programId)];
  const known = [
    bed.programId,
    bed.configAddress,
    cloneAccount(bed.svm, bed.configAddress, FOREIGN_PROGRAM),
    cloneAccount(bed.svm, teams[0].team, FOREIGN_PROGRAM),
    ...planted,
    bed.usdcMint,
    bed.otherMint,
    bed.treasury,
    bed.stakerPool,
    ...spare,
    thiefToken,
    otherMintToken,
    TOKEN_PROGRAM_ID,
    TOKEN_2022_PROGRAM_ID,
    SystemProgram.programId,
    Keypair.generate().publicKey,
    ...[...signers.values()].map((k) => k.publicKey),
    ...teams.flatMap((t) => [t.team, t.vault, t.ownerToken]),
  ];
  return { bed, teams, signers, known, revenueCandidates: [bed.treasury, bed.stakerPool, ...spare], thief, planted };
}

/** Puts the config back to sane terms (the fuzzer may have paused it, or changed terms, authority, admin). */
async function restoreConfig(w: World): Promise<void> {
  const { bed } = w;
  const config = await bed.client.fetchConfig();
  const admin = w.signers.get(config.admin.toBase58());
  assert.ok(admin, "the admin is always a key the fuzzer holds");
  await bed.client.updateConfig({
    admin,
    newAdmin: bed.admin.publicKey,
    billingAuthority: bed.billingAuthority.publicKey,
    withdrawalNoticeSecs: 900n,
    periodSecs: 2_592_000n,
    tiers: bed.config.tiers,
    paused: false,
    treasury: bed.treasury,
    stakerPool: bed.stakerPool,
  });
}

/**
 * Pays the debt of suspended teams (deposit what they owe plus a margin, then crank), so the fuzzer keeps
 * reaching the paths a suspended team is refused.
 */
async function heal(w: World, rng: Prng): Promise<void> {
  const { bed } = w;
  for (const t of w.teams) {
    const team = await bed.client.fetchTeamOrNull(t.owner.publicKey);
    // Debts from absurd tier terms (near u64::MAX) could not be minted; those teams stay suspended.
    const debt = team ? team.unpaidBaseFee + team.unpaidOverage : 0n;
    if (debt === 0n || debt > 1n << 50n) continue;
    const amount = debt + rng.magnitude(34);
    await mintTo(bed.provider, bed.usdcMint, t.ownerToken, amount);
    await bed.client.depositFunds({ depositor: t.owner, depositorToken: t.ownerToken, teamOwner: t.owner.publicKey, amount });
    await bed.client.rollPeriod({ teamOwner: t.owner.publicKey });
  }
}

// ---- one transaction ------------------------------------------------------------------------------

const WEIGHTS: Record<string, number> = {
  deductUsage: 6,
  depositFunds: 4,
  rollPeriod: 4,
  withdrawUnused: 3,
  requestWithdrawal: 3,
  updateTier: 3,
  setTeamLimits: 2,
  createTeamAccount: 2,
  closeTeamAccount: 1.5,
  updateConfig: 1,
  initializeConfig: 0.5,
};

function pickInstruction(rng: Prng, instructions: IdlInstruction[]): IdlInstruction {
  const total = instructions.reduce((s, i) => s + (WEIGHTS[i.name] ?? 1), 0);
  let x = (rng.next32() / 2 ** 32) * total;
  for (const i of instructions) {
    x -= WEIGHTS[i.name] ?? 1;
    if (x < 0) return i;
  }
  return instructions[instructions.length - 1];
}

/** The team to call `ix` for: often one for which the call can succeed, else any. */
function pickTeam(w: World, rng: Prng, ix: string, state: FuzzState): TeamFixture {
  const teamOf = (t: TeamFixture) => state.teams.get(t.team.toBase58()) ?? null;
  const vaultOf = (t: TeamFixture) => state.balances.get(t.vault.toBase58()) ?? 0n;
  const now = w.bed.svm.getClock().unixTimestamp;
  const fits: Record<string, (t: TeamFixture) => boolean> = {
    closeTeamAccount: (t) => { const x = teamOf(t); return x !== null && vaultOf(t) === 0n && x.unpaidBaseFee + x.unpaidOverage === 0n; },
    withdrawUnused: (t) => { const x = teamOf(t); return x !== null && x.pendingWithdrawal > 0n && x.withdrawalUnlockAt <= now; },
    createTeamAccount: (t) => teamOf(t) === null,
  };
  const fit = fits[ix];
  if (fit && rng.chance(0.7)) {
    const candidates = w.teams.filter(fit);
    if (candidates.length > 0) return rng.pick(candidates);
  }
  return rng.pick(w.teams);
}

interface FuzzState {
  teams: Map<string, TeamBillingAccount>;
  balances: Map<string, bigint>;
}

async function oneTransaction(w: World, rng: Prng, state: FuzzState): Promise<{ outcome: Outcome; events: BillingEvent[]; explain: () => string; touched: string[] }> {
  const { bed } = w;
  const { program } = bed;
  const ix = pickInstruction(rng, program.idl.instructions);
  const t = pickTeam(w, rng, ix.name, state);
  const hint: Hint = { team: state.teams.get(t.team.toBase58()) ?? null, vault: state.balances.get(t.vault.toBase58()) ?? 0n };
  const modes: string[] = [];

  // Data.
  let data: Buffer;
  const valid = () => program.coder.instruction.encode(ix.name, Object.fromEntries(ix.args.map((a) => [a.name, randomValue(w, rng, a.type, a.name, program.idl.types ?? [], hint)])));
  const kind = rng.int(20);
  if (kind < 11) {
    data = valid();
    modes.push("valid args");
  } else if (kind < 13) {
    data = Buffer.concat([Buffer.from(ix.discriminator), Buffer.from(rng.bytes(rng.int(80)))]);
    modes.push("garbage args");
  } else if (kind < 15) {
    const full = valid();
    data = full.subarray(0, rng.int(full.length));
    modes.push(`truncated to ${data.length}`);
  } else if (kind < 17) {
    data = Buffer.concat([valid(), Buffer.from(rng.bytes(rng.range(1, 64)))]);
    modes.push("overlong");
  } else if (kind < 19) {
    data = Buffer.from(rng.bytes(8 + rng.int(40)));
    modes.push("random discriminator");
  } else {
    data = Buffer.from(rng.bytes(rng.int(8)));
    modes.push("short data");
  }

  // Accounts.
  let metas = intendedAccounts(w, rng, ix, t);
  if (ix.name === "updateConfig" && data.length >= 8) {
    // A correct call passes the new treasury / staker pool as remaining accounts.
    for (const k of w.revenueCandidates) if (rng.chance(0.2)) metas.push({ pubkey: k, isSigner: false, isWritable: false });
  }
  if (rng.chance(0.45)) metas = mutateAccounts(w, rng, metas, modes);
  // Only keys the fuzzer holds can sign; other signer flags are dropped.
  const signers: Keypair[] = [];
  for (const m of metas) {
    if (!m.isSigner) continue;
    const k = w.signers.get(m.pubkey.toBase58());
    if (k) {
      if (!signers.includes(k)) signers.push(k);
    } else {
      m.isSigner = false;
    }
  }
  // Program ids stay read-only (a writable executable is demoted or refused by the runtime, not by us).
  for (const m of metas) if (m.isWritable && (bed.svm.getAccount(m.pubkey.toBase58() as Parameters<typeof bed.svm.getAccount>[0]) as { executable?: boolean }).executable) m.isWritable = false;

  const instruction = new TransactionInstruction({ programId: bed.programId, keys: metas, data });
  const explain = () => `${ix.name} [${modes.join(", ")}] data=${data.toString("hex")} accounts=${metas.map((m) => `${m.pubkey.toBase58().slice(0, 6)}${m.isSigner ? "s" : ""}${m.isWritable ? "w" : ""}`).join(",")}`;
  let ok = true;
  try {
    await bed.outsider.sendAndConfirm(new Transaction().add(instruction), signers);
  } catch {
    ok = false;
  }
  const last = bed.outsider.lastTransaction;
  assert.ok(last);
  return {
    outcome: { instruction: ix.name, mode: modes[0], ok, code: last.customErrorCode, error: last.error },
    events: ok ? parseEvents(last.logs, bed.programId) : [],
    touched: metas.map((m) => m.pubkey.toBase58()),
    explain: () => `${explain()} → ${last.error ?? "ok"}\n      ${last.logs.join("\n      ")}`,
  };
}

/** A success's events must account for every base unit it moved between vaults and revenue accounts. */
function assertEventsMatchBalances(w: World, before: Map<string, bigint>, after: Map<string, bigint>, events: BillingEvent[], vaults: Set<string>): void {
  const delta = (keys: Iterable<string>) => {
    let d = 0n;
    for (const k of keys) d += (after.get(k) ?? 0n) - (before.get(k) ?? 0n);
    return d;
  };
  const revenueKeys = new Set(w.bed.revenueAccounts.map((k) => k.toBase58()));
  let revenue = 0n;
  for (const r of eventsNamed(events, "RevenueDistributed")) revenue += r.treasuryAmount + r.stakerAmount;
  let deposits = 0n;
  for (const d of eventsNamed(events, "FundsDeposited")) deposits += d.amount;
  let withdrawals = 0n;
  for (const x of eventsNamed(events, "FundsWithdrawn")) withdrawals += x.amount;
  assert.equal(delta(revenueKeys), revenue, "revenue accounts moved by exactly the RevenueDistributed amounts");
  assert.equal(delta(vaults), deposits - withdrawals - revenue, "vaults moved by exactly deposits − withdrawals − revenue");
  for (const u of eventsNamed(events, "UsageDeducted")) {
    assert.ok(u.amountPaid <= u.amountCharged, "paid ≤ charged");
    assert.equal(after.get(w.teams.find((t) => t.team.toBase58() === u.team)?.vault.toBase58() ?? ""), u.balanceAfter, "UsageDeducted.balance_after is the vault's balance");
  }
}

describe("fuzzing the program with random instructions and account lists", () => {
  const seed = testSeed(0xf022_2026);

  it(`handles ${ITERATIONS.toLocaleString("en")} random transactions cleanly and keeps every invariant (seed ${seed})`, async function () {
    this.timeout(15 * 60_000);
    const rng = new Prng(seed);
    const w = await buildWorld(rng);
    const { bed } = w;
    const programAddress = bed.programId.toBase58();
    const tokenProgram = TOKEN_PROGRAM_ID.toBase58();
    const mint = bed.usdcMint.toBuffer();
    const started = Date.now();
    const unclean: string[] = [];
    const stats = { successes: new Map<string, number>(), codes: new Map<number, number>() };
    // The accounts that can hold the mint's tokens or a team are all known (the fuzzer created every
    // token account, and teams live at their owners' PDAs), so reading those is reading everything;
    // a full scan of the SVM double-checks that every 125 transactions.
    const teamKeys = new Set(w.teams.map((t) => t.team.toBase58()));
    const tokenKeys = new Set([...w.teams.flatMap((t) => [t.vault, t.ownerToken]), ...w.known].map((k) => k.toBase58()));
    /** The state with the accounts in `keys` read again from the SVM (all watched accounts when omitted). */
    const read = (previous?: FuzzState, keys?: Iterable<string>): FuzzState => {
      const teams = new Map(previous?.teams ?? []);
      const balances = new Map(previous?.balances ?? []);
      for (const key of keys ?? [...teamKeys, ...tokenKeys]) {
        if (teamKeys.has(key)) {
          const a = bed.svm.getAccount(key as Address);
          if (a.exists && a.programAddress === programAddress && isTeam(a.data)) teams.set(key, decodeTeamBillingAccount(Uint8Array.from(a.data)));
          else teams.delete(key);
        } else if (tokenKeys.has(key)) {
          const a = bed.svm.getAccount(key as Address);
          if (a.exists && a.programAddress === tokenProgram && a.data.length === ACCOUNT_SIZE && mint.equals(Buffer.from(a.data.subarray(0, 32)))) balances.set(key, Buffer.from(a.data).readBigUInt64LE(64));
          else balances.delete(key);
        }
      }
      return { teams, balances };
    };
    const scan = (): void => {
      assert.deepEqual(read(), state, "the state followed transaction by transaction is the SVM's");
      const planted = new Set(w.planted.map((k) => k.toBase58()));
      const teams = allTeams(bed).filter((x) => !planted.has(x.address.toBase58()));
      assert.deepEqual(new Map(teams.map((x) => [x.address.toBase58(), x.team])), state.teams, "every team is at a known owner's PDA");
      assert.deepEqual(usdcAccounts(bed), state.balances, "every token account of the mint is known");
      // Whatever the admin set, funds can still leave within 30 days and a team can still open.
      const config = bed.svm.getAccount(bed.configAddress.toBase58() as Address);
      assert.ok(config.exists);
      const { withdrawalNoticeSecs, periodSecs } = decodeBillingConfig(Uint8Array.from(config.data));
      assert.ok(withdrawalNoticeSecs >= 0n && withdrawalNoticeSecs <= MAX_WITHDRAWAL_NOTICE_SECS, `notice ${withdrawalNoticeSecs} s`);
      assert.ok(periodSecs > 0n && periodSecs <= MAX_PERIOD_SECS, `period ${periodSecs} s`);
    };
    let state = read();
    let i = 0;
    let lastExplained = () => "(before the first transaction)";
    try {
      for (i = 0; i < ITERATIONS; i++) {
        if (i % 125 === 124) {
          scan();
          await restoreConfig(w);
          await heal(w, rng);
          if (i % 500 === 499) for (const t of w.teams) await mintTo(bed.provider, bed.usdcMint, t.ownerToken, 500n * USDC);
          state = read();
        }
        if (rng.chance(0.03)) advanceClock(bed.svm, rng.pick([60n, 900n, 86_400n, 2_592_000n, BigInt(rng.int(3_000_000))]));
        const { outcome, events, explain, touched } = await oneTransaction(w, rng, state);
        lastExplained = explain;
        if (outcome.ok) {
          stats.successes.set(outcome.instruction, (stats.successes.get(outcome.instruction) ?? 0) + 1);
        } else if (outcome.code !== null) {
          stats.codes.set(outcome.code, (stats.codes.get(outcome.code) ?? 0) + 1);
        } else {
          unclean.push(`#${i} ${explain()}`);
        }
        // A transaction can only change the accounts it lists.
        const next = outcome.ok ? read(state, touched) : state;
        // Teams closed by this transaction leave their spending in the revenue accounts.
        for (const [address, team] of state.teams) if (!next.teams.has(address)) bed.retiredSpent += team.totalSpent;
        if (outcome.ok) {
          const vaults = new Set([...state.teams.values(), ...next.teams.values()].map((x) => x.vault.toBase58()));
          assertEventsMatchBalances(w, state.balances, next.balances, events, vaults);
        } else if (i % 25 === 0) {
          // Failed transactions are atomic; check it now and then against the SVM itself.
          const reread = read();
          assert.deepEqual(reread.balances, state.balances, "a failed transaction moves nothing");
          assert.deepEqual(reread.teams, state.teams, "a failed transaction changes no team");
        }
        assertConservedState(bed, { ...next, supply: mintSupply(bed) }, `after #${i}`);
        state = next;
      }
    } catch (e) {
      if (e instanceof Error) e.message = `[PROGRAM_TEST_SEED=${seed}, transaction #${i}] ${e.message}\n      ${lastExplained()}`;
      throw e;
    }
    scan();
    const seconds = (Date.now() - started) / 1000;
    const successes = [...stats.successes.entries()].map(([k, v]) => `${k} ${v}`).join(", ");
    const codes = [...stats.codes.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k}×${v}`).join(" ");
    console.log(`      fuzz (seed ${seed}): ${ITERATIONS} transactions in ${seconds.toFixed(1)} s; successes: ${successes}; error codes: ${codes}; unclean: ${unclean.length}`);
    assert.deepEqual(unclean.slice(0, 20), [], `[PROGRAM_TEST_SEED=${seed}] ${unclean.length} transactions failed without a Custom error code`);
    // The fuzzer must actually get through: every instruction succeeded at least once.
    for (const ix of bed.program.idl.instructions) {
      if (ix.name === "initializeConfig") continue;
      assert.ok((stats.successes.get(ix.name) ?? 0) > 0, `${ix.name} never succeeded: ${successes}`);
    }
  });
});
