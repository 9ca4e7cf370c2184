// The end-to-end story of one team, against a running stack (any cluster) and THROUGH THE GATEWAY OVER
// HTTP: a Startup team is created (ledger and chain), deposits 100 USDC and pays the 50 USDC base fee
// (45 treasury / 5 stakers); 10,000 requests within the quota cost nothing; 1,000 more cost 10 USDC (all to
// the stakers); it keeps going until the vault is below 10 USDC (the LowBalanceAlert event on chain and the
// ledger's balance.warning alert both appear) and a request gets 402; then the owner requests the rest
// back and withdraws it after the notice period. Every request is a real admitted unit of the paid API;
// the settler in the app charges them on chain. Each step records the balances of the vault, the treasury,
// the stakers and the owner, and every way they differ from the billing rules is a mismatch.
import { Keypair, SystemProgram, Transaction, sendAndConfirmTransaction, type Connection, type PublicKey } from "@solana/web3.js";
import { createAssociatedTokenAccountIdempotentInstruction, createMintToInstruction, getAccount } from "@solana/spl-token";
import { api, type LedgerClient } from "../../ledger/client";
import { DEFAULT_TIERS, Tier, USDC, DEFAULT_BASE_FEE_TREASURY_BPS, DEFAULT_OVERAGE_TREASURY_BPS } from "../../sdk/src/constants";
import { eventsNamed, parseEvents, type BillingEvent } from "../../sdk/src/events";
import { isProgramError } from "../../sdk/src/errors";
import { formatUsdc } from "../../sdk/src/format";
import { quoteUsage } from "../../sdk/src/pricing";
import type { PrepaidBillingClient } from "../../sdk/src/client";
import type { StoryRow } from "../story/team-story";
import { ensureApiKey, ensureLedgerTeam, ensureMembers, billingClient, ownerTokenAccount, type TeamId } from "../stack/teams";
import { MAX_UNITS_PER_CALL, PaidApi, paymentRequired, type PaidAnswer } from "./http";

export interface E2ETarget {
  /** The app: paid API and gateway. */
  appUrl: string;
  connection: Connection;
  programId: PublicKey;
  usdcMint: PublicKey;
  ledger: LedgerClient;
  /** Pays fees, sends the owner SOL and mints its USDC (the local mint's authority). */
  funder: Keypair;
  /** Longest withdrawal notice the run waits out, seconds. Default 120. */
  maxNoticeSecs?: number;
  /** Longest wait for the settler or the indexer, ms. Default 90 000. */
  waitMs?: number;
  log?: (line: string) => void;
}

export interface E2EResult {
  rows: StoryRow[];
  /** Every way the run differed from the billing rules; empty when it held. */
  mismatches: string[];
  /** The team's program events, oldest first. */
  events: BillingEvent[];
  /** Units the gateway admitted and the HTTP calls that carried them. */
  admittedUnits: number;
  calls: number;
  team: { teamId: string; owner: string; chainTeam: string };
  seconds: number;
}

const startup = DEFAULT_TIERS[Tier.Startup];
const DEPOSIT = 100n * USDC;

/** A step could not go on (a timeout, an unexpected answer): the run stops with what it has. */
class Abort extends Error {}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Balances {
  vault: bigint;
  treasury: bigint;
  stakers: bigint;
  owner: bigint;
}

class Flow {
  readonly rows: StoryRow[] = [];
  readonly mismatches: string[] = [];
  admittedUnits = 0;
  calls = 0;
  /** Units admitted so far this period, as the gate prices them. */
  periodRequests = 0n;
  /** Treasury and staker-pool balances when the run began. */
  base: { treasury: bigint; stakers: bigint } = { treasury: 0n, stakers: 0n };

  constructor(
    readonly t: E2ETarget,
    readonly client: PrepaidBillingClient,
    readonly owner: Keypair,
    readonly ownerToken: PublicKey,
    readonly treasury: PublicKey,
    readonly stakerPool: PublicKey,
  ) {}

  log(line: string): void {
    this.t.log?.(line);
  }

  expect(step: string, what: string, actual: unknown, expected: unknown): boolean {
    if (actual === expected) return true;
    this.mismatches.push(`${step}: ${what} is ${String(actual)}, expected ${String(expected)}`);
    return false;
  }

  async tokenBalance(account: PublicKey): Promise<bigint> {
    const info = await this.t.connection.getAccountInfo(account, "confirmed");
    if (info === null) return 0n;
    return (await getAccount(this.t.connection, account, "confirmed")).amount;
  }

  async balances(): Promise<Balances> {
    return {
      vault: await this.tokenBalance(this.client.vaultAddress(this.owner.publicKey)),
      treasury: await this.tokenBalance(this.treasury),
      stakers: await this.tokenBalance(this.stakerPool),
      owner: await this.tokenBalance(this.ownerToken),
    };
  }

  async start(): Promise<void> {
    const b = await this.balances();
    this.base = { treasury: b.treasury, stakers: b.stakers };
  }

  /**
   * Records the balances, checked against what the rules say: vault and owner as they are, the treasury
   * and the stakers as what they received since the run began (other teams may pay them on a shared cluster).
   */
  async record(step: string, expected: { vault: bigint; treasuryIn: bigint; stakersIn: bigint; owner: bigint }, note: string): Promise<void> {
    const b = await this.balances();
    const usdc = (n: bigint) => formatUsdc(n, { decimals: 6 });
    if (b.vault !== expected.vault) this.mismatches.push(`${step}: vault holds ${usdc(b.vault)}, expected ${usdc(expected.vault)}`);
    if (b.owner !== expected.owner) this.mismatches.push(`${step}: owner holds ${usdc(b.owner)}, expected ${usdc(expected.owner)}`);
    if (b.treasury - this.base.treasury !== expected.treasuryIn) {
      this.mismatches.push(`${step}: treasury received ${usdc(b.treasury - this.base.treasury)}, expected ${usdc(expected.treasuryIn)}`);
    }
    if (b.stakers - this.base.stakers !== expected.stakersIn) {
      this.mismatches.push(`${step}: stakers received ${usdc(b.stakers - this.base.stakers)}, expected ${usdc(expected.stakersIn)}`);
    }
    this.rows.push({ step, ...b, note });
    this.log(`${step}: vault ${formatUsdc(b.vault)}, treasury ${formatUsdc(b.treasury)}, stakers ${formatUsdc(b.stakers)}, owner ${formatUsdc(b.owner)} — ${note}`);
  }

  async until<T>(what: string, probe: () => Promise<T | null>): Promise<T> {
    const deadline = Date.now() + (this.t.waitMs ?? 90_000);
    for (;;) {
      const value = await probe();
      if (value !== null) return value;
      if (Date.now() > deadline) {
        this.mismatches.push(`${what}: not seen within ${(this.t.waitMs ?? 90_000) / 1000} s`);
        throw new Abort(what);
      }
      await sleep(300);
    }
  }

  /** The team's program events, oldest first (its transactions read back from the chain). */
  async events(): Promise<BillingEvent[]> {
    const team = this.client.teamAddress(this.owner.publicKey);
    const sigs = await this.t.connection.getSignaturesForAddress(team, { limit: 1000 }, "confirmed");
    const events: BillingEvent[] = [];
    for (const s of sigs.reverse()) {
      if (s.err) continue;
      const tx = await this.t.connection.getTransaction(s.signature, { commitment: "confirmed", maxSupportedTransactionVersion: 0 });
      // A settlement transaction may charge several teams: keep this team's events only.
      for (const e of parseEvents(tx?.meta?.logMessages ?? [], this.t.programId)) {
        if (!("team" in e.data) || e.data.team === team.toBase58()) events.push(e);
      }
    }
    return events;
  }

  /**
   * Sends `units` paid requests in calls of at most 1,000 units, alternating the members' X-User-IDs; each
   * must be admitted with the price the rules give. Returns what they cost in total.
   */
  async spend(step: string, api: PaidApi, units: number, vaultBefore: bigint): Promise<bigint> {
    let total = 0n;
    let left = units;
    while (left > 0) {
      const n = Math.min(left, MAX_UNITS_PER_CALL);
      const quote = quoteUsage({ terms: startup, periodRequests: this.periodRequests, periodOverageSpend: 0n, spendCap: 0n, vaultBalance: vaultBefore - total, requestCount: BigInt(n) });
      const answer = await api.call(n, this.calls % 2 === 0 ? "owner" : "alice");
      this.calls++;
      if (answer.status !== 200) {
        this.mismatches.push(`${step}: a call of ${n} units answered ${answer.status} ${JSON.stringify(answer.body)}`);
        throw new Abort(step);
      }
      const body = answer.body as { results?: { valid: boolean }[]; valid?: boolean };
      if (n > 1) {
        this.expect(step, "results in a batch answer", body.results?.length, n);
        this.expect(step, "the signed item's result", body.results?.[0]?.valid, true);
        this.expect(step, "a truncated item's result", body.results?.[1]?.valid, false);
      } else {
        this.expect(step, "the signed request's result", body.valid, true);
      }
      this.expect(step, "X-Billing-Cost of a call", answer.headers["x-billing-cost"], quote.charged.toString());
      total += quote.charged;
      this.periodRequests += BigInt(n);
      this.admittedUnits += n;
      left -= n;
    }
    return total;
  }

  /** Waits until the chain has settled every admitted unit (period_requests counts them). */
  async settled(step: string): Promise<void> {
    await this.until(`${step}: settlement of ${this.periodRequests} requests`, async () => {
      const team = await this.client.fetchTeam(this.owner.publicKey);
      return team.periodRequests === this.periodRequests ? team : null;
    });
  }
}

/** Sends the owner SOL for fees and rent and mints it `usdc` (works on any cluster where `funder` holds SOL and the mint authority). */
async function fundOwner(t: E2ETarget, owner: PublicKey, usdc: bigint): Promise<PublicKey> {
  const token = ownerTokenAccount(t.usdcMint, owner);
  const tx = new Transaction().add(
    SystemProgram.transfer({ fromPubkey: t.funder.publicKey, toPubkey: owner, lamports: 200_000_000 }),
    createAssociatedTokenAccountIdempotentInstruction(t.funder.publicKey, token, owner, t.usdcMint),
    createMintToInstruction(t.usdcMint, token, t.funder.publicKey, usdc),
  );
  await sendAndConfirmTransaction(t.connection, tx, [t.funder], { commitment: "confirmed" });
  return token;
}

/** Runs the story; never throws for a wrong amount or a refused step (those are mismatches), only for a broken stack. */
export async function runE2E(t: E2ETarget): Promise<E2EResult> {
  const started = Date.now();
  const client = billingClient(t.connection, t.funder, t.programId);
  const config = await client.fetchConfig();
  const preconditions: [string, unknown, unknown][] = [
    ["config USDC mint", config.usdcMint.toBase58(), t.usdcMint.toBase58()],
    ["Startup monthly fee", config.tiers[Tier.Startup].monthlyFee, startup.monthlyFee],
    ["Startup included requests", config.tiers[Tier.Startup].includedRequests, startup.includedRequests],
    ["Startup overage price", config.tiers[Tier.Startup].overagePrice, startup.overagePrice],
    ["base fee treasury share (bps)", config.baseFeeTreasuryBps, DEFAULT_BASE_FEE_TREASURY_BPS],
    ["overage treasury share (bps)", config.overageTreasuryBps, DEFAULT_OVERAGE_TREASURY_BPS],
    ["paused", config.paused, false],
  ];
  const owner = Keypair.generate();
  const alice = Keypair.generate();
  const flowOwnerToken = ownerTokenAccount(t.usdcMint, owner.publicKey);
  const flow = new Flow(t, client, owner, flowOwnerToken, config.treasury, config.stakerPool);
  const team = client.teamAddress(owner.publicKey);
  let teamId = "";
  const result = (): E2EResult => ({
    rows: flow.rows,
    mismatches: flow.mismatches,
    events: [],
    admittedUnits: flow.admittedUnits,
    calls: flow.calls,
    team: { teamId, owner: owner.publicKey.toBase58(), chainTeam: team.toBase58() },
    seconds: (Date.now() - started) / 1000,
  });
  for (const [what, actual, expected] of preconditions) flow.expect("deployment", what, actual, expected);
  if (config.withdrawalNoticeSecs > BigInt(t.maxNoticeSecs ?? 120)) {
    flow.mismatches.push(`deployment: the withdrawal notice is ${config.withdrawalNoticeSecs} s, longer than the run waits (${t.maxNoticeSecs ?? 120} s)`);
  }
  if (flow.mismatches.length) return result();

  const fee = startup.monthlyFee;
  const feeToTreasury = (fee * BigInt(config.baseFeeTreasuryBps)) / 10_000n;
  const feeToStakers = fee - feeToTreasury;
  const usdc = (n: bigint) => formatUsdc(n);

  try {
    await flow.start();
    await fundOwner(t, owner.publicKey, DEPOSIT);
    await flow.record("owner funded", { vault: 0n, treasuryIn: 0n, stakersIn: 0n, owner: DEPOSIT }, `owner ${owner.publicKey.toBase58().slice(0, 8)}… holds ${usdc(DEPOSIT)}`);

    // A Startup team, as the dashboard creates it: ledger team (linked to its chain account), a member, a key.
    const vault = client.vaultAddress(owner.publicKey);
    const created = await ensureLedgerTeam(t.ledger, owner.publicKey, { name: "End-to-end team", tier: Tier.Startup, userId: "owner", chainTeam: team, vault });
    teamId = created.teamId;
    await ensureMembers(t.ledger, created.teamId as TeamId, owner.publicKey, [{ wallet: alice.publicKey, userId: "alice", email: "alice@example.com", role: "member" }]);
    const { key } = await ensureApiKey(t.ledger, created.teamId as TeamId, owner.publicKey, "end-to-end", null);
    const sigCreate = await client.createTeamAccount({ owner, tier: Tier.Startup });
    const createdEvent = eventsNamed(await client.eventsOf(sigCreate), "TeamAccountCreated")[0];
    flow.expect("create team", "TeamAccountCreated.tier", createdEvent?.tier, Tier.Startup);
    await flow.record("create team (Startup)", { vault: 0n, treasuryIn: 0n, stakersIn: 0n, owner: DEPOSIT }, `team ${team.toBase58().slice(0, 8)}…, ledger ${created.teamId}, key ${key.prefix}…`);

    const sigDeposit = await client.depositFunds({ depositor: owner, depositorToken: flowOwnerToken, teamOwner: owner.publicKey, amount: DEPOSIT });
    const deposited = eventsNamed(await client.eventsOf(sigDeposit), "FundsDeposited")[0];
    flow.expect("deposit", "FundsDeposited.balanceAfter", deposited?.balanceAfter, DEPOSIT);
    await flow.record("deposit 100 USDC", { vault: DEPOSIT, treasuryIn: 0n, stakersIn: 0n, owner: 0n }, `FundsDeposited: balance ${usdc(DEPOSIT)}`);

    // The period's base fee: anyone may crank roll_period (the settler would do it with the first batch).
    const sigRoll = await client.rollPeriod({ teamOwner: owner.publicKey });
    const baseFee = eventsNamed(await client.eventsOf(sigRoll), "RevenueDistributed").find((e) => e.source === 0);
    flow.expect("base fee", "RevenueDistributed.treasuryAmount", baseFee?.treasuryAmount, feeToTreasury);
    flow.expect("base fee", "RevenueDistributed.stakerAmount", baseFee?.stakerAmount, feeToStakers);
    let vaultNow = DEPOSIT - fee;
    let stakersIn = feeToStakers;
    await flow.record("roll_period: base fee", { vault: vaultNow, treasuryIn: feeToTreasury, stakersIn, owner: 0n }, `base fee ${usdc(fee)}: ${usdc(feeToTreasury)} treasury / ${usdc(feeToStakers)} stakers`);

    const paid = new PaidApi(t.appUrl, key.key, owner);
    const spendStep = async (step: string, units: number, note: (cost: bigint) => string) => {
      const cost = await flow.spend(step, paid, units, vaultNow);
      await flow.settled(step);
      vaultNow -= cost;
      stakersIn += cost; // overage: 100% to the stakers (overage_treasury_bps = 0)
      await flow.record(step, { vault: vaultNow, treasuryIn: feeToTreasury, stakersIn, owner: 0n }, note(cost));
      return cost;
    };
    const quotaCost = await spendStep("10,000 requests (within quota)", 10_000, (c) => `charged ${usdc(c)} (quota used ${flow.periodRequests.toLocaleString("en-US")} of ${startup.includedRequests.toLocaleString("en-US")})`);
    flow.expect("within quota", "cost", quotaCost, 0n);
    const overageCost = await spendStep("1,000 more requests", 1_000, (c) => `overage ${usdc(c)}, all to the stakers`);
    flow.expect("1,000 more", "cost", overageCost, 10n * USDC);

    // On until the vault is below the low-balance threshold (10 USDC by default): 30.01 USDC more.
    const threshold = (await client.fetchTeam(owner.publicKey)).lowBalanceThreshold;
    const toCross = Number((vaultNow - threshold) / startup.overagePrice) + 1;
    await spendStep(`${toCross.toLocaleString("en-US")} more requests`, toCross, (c) => `overage ${usdc(c)}; vault now below ${usdc(threshold)}`);
    const alerts = eventsNamed(await flow.events(), "LowBalanceAlert");
    flow.expect("below threshold", "LowBalanceAlert events", alerts.length, 1);
    flow.expect("below threshold", "LowBalanceAlert.balance", alerts[0]?.balance, vaultNow);
    const ledgerAlert = await flow.until("the ledger's balance.warning alert", async () => {
      const list = await t.ledger.as(owner.publicKey.toBase58()).query(api.alerts.list, { teamId: created.teamId as TeamId, activeOnly: true });
      return list.find((a) => a.kind === "balance.warning") ?? null;
    });
    await flow.record("low balance alerts", { vault: vaultNow, treasuryIn: feeToTreasury, stakersIn, owner: 0n }, `LowBalanceAlert: balance ${usdc(alerts[0]?.balance ?? 0n)} < ${usdc(threshold)}; ledger: ${ledgerAlert.kind} "${ledgerAlert.message}"`);

    // The next call costs more than the vault holds: 402, with what to deposit.
    const refused: PaidAnswer = await paid.call(MAX_UNITS_PER_CALL, "alice");
    flow.calls++;
    const refusalCost = quoteUsage({ terms: startup, periodRequests: flow.periodRequests, periodOverageSpend: 0n, spendCap: 0n, vaultBalance: vaultNow, requestCount: BigInt(MAX_UNITS_PER_CALL) }).charged;
    flow.expect("402", "status", refused.status, 402);
    flow.expect("402", "error", (refused.body as { error?: string }).error, "insufficient_balance");
    flow.expect("402", "available", (refused.body as { available?: string }).available, vaultNow.toString());
    flow.expect("402", "PAYMENT-REQUIRED amount", paymentRequired(refused.headers)?.amount, (refusalCost - vaultNow).toString());
    await flow.record("a request gets 402", { vault: vaultNow, treasuryIn: feeToTreasury, stakersIn, owner: 0n }, `${MAX_UNITS_PER_CALL} units cost ${usdc(refusalCost)} > ${usdc(vaultNow)}: ${refused.status} ${(refused.body as { error?: string }).error}`);

    // The rest goes back to the owner after the notice period.
    const sigRequest = await client.requestWithdrawal({ owner, amount: vaultNow });
    const requested = eventsNamed(await client.eventsOf(sigRequest), "WithdrawalRequested")[0];
    flow.expect("request withdrawal", "WithdrawalRequested.amount", requested?.amount, vaultNow);
    await flow.record("request withdrawal", { vault: vaultNow, treasuryIn: feeToTreasury, stakersIn, owner: 0n }, `${usdc(vaultNow)} (notice ${config.withdrawalNoticeSecs} s)`);

    const early = await client.withdrawUnused({ owner, ownerToken: flowOwnerToken }).then(
      () => "succeeded",
      (err: unknown) => (isProgramError(err, "WithdrawalNotReady") ? "WithdrawalNotReady" : String(err)),
    );
    flow.expect("withdraw early", "outcome", early, "WithdrawalNotReady");
    await flow.record("withdraw before the notice", { vault: vaultNow, treasuryIn: feeToTreasury, stakersIn, owner: 0n }, `refused: ${early}`);

    const unlockAt = Number(requested?.unlockAt ?? 0n) * 1000;
    await sleep(Math.max(0, unlockAt - Date.now()) + 1_000);
    const withdrawn = await flow.until("withdraw_unused after the notice", async () => {
      try {
        const sig = await client.withdrawUnused({ owner, ownerToken: flowOwnerToken });
        return eventsNamed(await client.eventsOf(sig), "FundsWithdrawn")[0] ?? null;
      } catch (err) {
        if (isProgramError(err, "WithdrawalNotReady")) return null; // the cluster clock lags the wall clock a little
        throw err;
      }
    });
    flow.expect("withdraw", "FundsWithdrawn.amount", withdrawn.amount, vaultNow);
    const rest = vaultNow;
    vaultNow = 0n;
    await flow.record("withdraw after the notice", { vault: 0n, treasuryIn: feeToTreasury, stakersIn, owner: rest }, `FundsWithdrawn ${usdc(withdrawn.amount)}`);

    // An empty vault: even one unit is refused.
    const after = await paid.call(1, "owner");
    flow.calls++;
    flow.expect("after withdrawal", "status of a 1-unit request", after.status, 402);

    // The ledger follows the chain (indexer): the vault's balance reaches 0 there too.
    await flow.until("the ledger's balance of the emptied vault", async () => {
      const b = await t.ledger.as(owner.publicKey.toBase58()).query(api.chain.getBalance, { teamId: created.teamId as TeamId });
      return b !== null && b.vaultBalance === 0n && b.pendingWithdrawal === 0n ? b : null;
    });

    const last = flow.rows[flow.rows.length - 1];
    const events = await flow.events();
    const charged = eventsNamed(events, "UsageDeducted").reduce((s, e) => s + e.amountCharged, 0n);
    flow.expect("end", "total charged for usage", charged, stakersIn - feeToStakers);
    flow.expect("end", "requests settled", eventsNamed(events, "UsageDeducted").reduce((s, e) => s + e.requestCount, 0n), flow.periodRequests);
    const conserved = last.vault + (last.treasury - flow.base.treasury) + (last.stakers - flow.base.stakers) + last.owner;
    flow.expect("end", "vault + treasury and stakers received + owner (money is conserved)", conserved, DEPOSIT);
    return { ...result(), events };
  } catch (err) {
    if (err instanceof Abort) return result();
    throw err;
  }
}
