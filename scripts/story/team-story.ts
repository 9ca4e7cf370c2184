// The story of one team, played in the real SVM through the SDK: the program deployed through the
// upgradeable loader, a Startup team that deposits 100 USDC, pays its base fee, uses its quota and then
// overage until the low-balance alert, and takes the rest out after the notice period. Each step states
// the balances it expects (USDC base units); the story records what the chain shows and every mismatch.
import { Keypair, type PublicKey } from "@solana/web3.js";
import {
  DEFAULT_TIERS,
  Tier,
  USDC,
  UsageReceiptTree,
  eventsNamed,
  formatUsdc,
  fromHex,
  isProgramError,
  parseEvents,
  quoteUsage,
  toHex,
  verifyUsageProof,
  type BillingEvent,
  type UsageRecord,
} from "../../sdk/src";
import { advanceClock, initializeDeployment, type Deployment } from "../../tests/support";

export interface Balances {
  vault: bigint;
  treasury: bigint;
  stakers: bigint;
  owner: bigint;
}

export interface StoryRow extends Balances {
  step: string;
  note: string;
}

export interface StoryResult {
  rows: StoryRow[];
  /** Every way the chain differed from the story's expectations; empty when the story holds. */
  mismatches: string[];
  /** Events the program emitted during the story, in order. */
  events: BillingEvent[];
}

const startup = DEFAULT_TIERS[Tier.Startup];
const OWNER_WALLET = 100n * USDC;

const iso = (unix: bigint): string => new Date(Number(unix) * 1000).toISOString().replace(".000Z", "Z");

/** Usage records of one batch: `count` one-unit requests, priced one by one with the pricing mirror. */
function batchRecords(team: PublicKey, batchSeq: bigint, count: number, periodRequestsBefore: bigint, startMs: bigint): UsageRecord[] {
  const records: UsageRecord[] = [];
  let period = periodRequestsBefore;
  for (let i = 0; i < count; i++) {
    const { cost } = quoteUsage({ terms: startup, periodRequests: period, periodOverageSpend: 0n, spendCap: 0n, vaultBalance: 0n, requestCount: 1n });
    records.push({
      team: team.toBase58(),
      batchSeq,
      requestId: `b${batchSeq}-r${i}`,
      timestampMs: startMs + BigInt(i),
      endpoint: i % 3 === 0 ? "/api/v1/search" : "/api/v1/summarize",
      userId: i % 2 === 0 ? "alice" : "bob",
      units: 1n,
      cost,
    });
    period += 1n;
  }
  return records;
}

class Story {
  readonly rows: StoryRow[] = [];
  readonly mismatches: string[] = [];
  readonly events: BillingEvent[] = [];

  constructor(
    private readonly d: Deployment,
    private readonly vault: PublicKey,
    private readonly ownerToken: PublicKey,
  ) {}

  async balances(): Promise<Balances> {
    // The vault exists from "create team" on; before that it holds nothing.
    const vaultExists = (await this.d.provider.connection.getAccountInfo(this.vault)) !== null;
    return {
      vault: vaultExists ? await this.d.balance(this.vault) : 0n,
      treasury: await this.d.balance(this.d.treasury),
      stakers: await this.d.balance(this.d.stakerPool),
      owner: await this.d.balance(this.ownerToken),
    };
  }

  /** Events of the last transaction, kept for the story and returned for the step's note. */
  lastEvents(): BillingEvent[] {
    const events = parseEvents(this.d.provider.lastTransaction?.logs ?? [], this.d.programId);
    this.events.push(...events);
    return events;
  }

  expect(step: string, what: string, actual: unknown, expected: unknown): void {
    if (actual !== expected) this.mismatches.push(`${step}: ${what} is ${String(actual)}, expected ${String(expected)}`);
  }

  async record(step: string, expected: Balances, note: string): Promise<void> {
    const actual = await this.balances();
    for (const k of ["vault", "treasury", "stakers", "owner"] as const) {
      if (actual[k] !== expected[k]) this.mismatches.push(`${step}: ${k} holds ${formatUsdc(actual[k], { decimals: 6 })}, expected ${formatUsdc(expected[k], { decimals: 6 })}`);
    }
    this.rows.push({ step, ...actual, note });
  }
}

/** Plays the story; never throws for a wrong amount (that is a mismatch), only for a failed transaction. */
export async function runTeamStory(): Promise<StoryResult> {
  const d = await initializeDeployment({ upgradeable: true });
  const { client } = d;
  const owner = Keypair.generate();
  d.provider.airdrop(owner.publicKey, 10_000_000_000n);
  const ownerToken = await d.fundWallet(owner.publicKey, OWNER_WALLET);
  const teamOwner = owner.publicKey;
  const team = client.teamAddress(teamOwner);
  const story = new Story(d, client.vaultAddress(teamOwner), ownerToken);
  const usdc = (n: bigint) => formatUsdc(n);

  await story.record("deploy", { vault: 0n, treasury: 0n, stakers: 0n, owner: OWNER_WALLET }, `program ${d.programId.toBase58().slice(0, 8)}… via BPFLoaderUpgradeable; Startup: ${usdc(startup.monthlyFee)} per period, ${startup.includedRequests.toLocaleString("en-US")} requests included, ${usdc(startup.overagePrice)} per extra request`);

  await client.createTeamAccount({ owner, tier: Tier.Startup, usdcMint: d.usdcMint });
  const created = eventsNamed(story.lastEvents(), "TeamAccountCreated")[0];
  story.expect("create team", "TeamAccountCreated.tier", created?.tier, Tier.Startup);
  await story.record("create team (Startup)", { vault: 0n, treasury: 0n, stakers: 0n, owner: OWNER_WALLET }, `team ${team.toBase58().slice(0, 8)}…, period ends ${created ? iso(created.periodEnd) : "?"}`);

  await client.depositFunds({ depositor: owner, depositorToken: ownerToken, teamOwner, amount: 100n * USDC });
  const deposited = eventsNamed(story.lastEvents(), "FundsDeposited")[0];
  story.expect("deposit", "FundsDeposited.balanceAfter", deposited?.balanceAfter, 100n * USDC);
  await story.record("deposit 100 USDC", { vault: 100n * USDC, treasury: 0n, stakers: 0n, owner: 0n }, "FundsDeposited: balance 100.00 USDC");

  await client.rollPeriod({ teamOwner, settlement: d.settlement });
  const rolled = story.lastEvents();
  const baseFee = eventsNamed(rolled, "RevenueDistributed").find((e) => e.source === 0);
  story.expect("roll", "base fee to treasury", baseFee?.treasuryAmount, 45n * USDC);
  story.expect("roll", "base fee to stakers", baseFee?.stakerAmount, 5n * USDC);
  await story.record("roll_period: base fee", { vault: 50n * USDC, treasury: 45n * USDC, stakers: 5n * USDC, owner: 0n }, "base fee 50.00 USDC: 45.00 treasury / 5.00 stakers");

  // Usage batches: each commits the Merkle root of its records; the chain prices request_count itself.
  let periodRequests = 0n;
  let vaultBalance = 50n * USDC;
  let stakers = 5n * USDC;
  let startMs = BigInt(Date.UTC(2026, 0, 1, 9));
  const batches: { seq: bigint; count: number; label: string }[] = [
    { seq: 1n, count: 10_000, label: "10,000 requests (within quota)" },
    { seq: 2n, count: 1_000, label: "1,000 more requests" },
    { seq: 3n, count: 2_000, label: "2,000 more requests" },
    { seq: 4n, count: 1_001, label: "1,001 more requests" },
  ];
  let proofChecked = false;
  for (const batch of batches) {
    const records = batchRecords(team, batch.seq, batch.count, periodRequests, startMs);
    const tree = new UsageReceiptTree(records);
    const quote = quoteUsage({ terms: startup, periodRequests, periodOverageSpend: 0n, spendCap: 0n, vaultBalance, requestCount: BigInt(batch.count) });
    await client.deductUsage({ billingAuthority: d.billingAuthority, teamOwner, batchSeq: batch.seq, requestCount: BigInt(batch.count), usageRoot: tree.root, settlement: d.settlement });
    const events = story.lastEvents();
    const deducted = eventsNamed(events, "UsageDeducted")[0];
    const step = `batch ${batch.seq}`;
    story.expect(step, "UsageDeducted.amountCharged", deducted?.amountCharged, quote.charged);
    story.expect(step, "UsageDeducted.usageRoot", deducted?.usageRoot, toHex(tree.root));
    // An invoice line of the first charged batch, checked against the root the chain recorded.
    if (!proofChecked && quote.charged > 0n && deducted) {
      const line = tree.records[tree.records.length - 1];
      story.expect(step, "invoice line proof", verifyUsageProof(fromHex(deducted.usageRoot), line, tree.proof(line.requestId)), true);
      proofChecked = true;
    }
    periodRequests = quote.periodRequestsAfter;
    vaultBalance = quote.vaultBalanceAfter;
    stakers += quote.paid;
    const alert = eventsNamed(events, "LowBalanceAlert")[0];
    let note = quote.charged === 0n ? `charged 0.00 USDC (quota used ${periodRequests.toLocaleString("en-US")} of ${startup.includedRequests.toLocaleString("en-US")})` : `overage ${usdc(quote.charged)}, all to stakers`;
    if (alert) note += ` — LowBalanceAlert: balance ${usdc(alert.balance)} < threshold ${usdc(alert.threshold)}`;
    if (batch.seq === 4n) story.expect(step, "LowBalanceAlert emitted", alert !== undefined, true);
    else story.expect(step, "LowBalanceAlert emitted", alert !== undefined, false);
    await story.record(`${step}: ${batch.label}`, { vault: vaultBalance, treasury: 45n * USDC, stakers, owner: 0n }, `${note}; root ${toHex(tree.root).slice(0, 12)}…`);
    startMs += BigInt(batch.count) + 60_000n;
  }
  story.expect("batches", "an invoice line was proven", proofChecked, true);
  story.expect("batches", "vault after usage", vaultBalance, 9_990_000n);

  await client.requestWithdrawal({ owner, amount: vaultBalance });
  const requested = eventsNamed(story.lastEvents(), "WithdrawalRequested")[0];
  story.expect("request withdrawal", "WithdrawalRequested.amount", requested?.amount, vaultBalance);
  await story.record("request withdrawal", { vault: vaultBalance, treasury: 45n * USDC, stakers, owner: 0n }, `${usdc(vaultBalance)}, unlocks ${requested ? iso(requested.unlockAt) : "?"} (notice ${d.config.withdrawalNoticeSecs} s)`);

  const early = await client.withdrawUnused({ owner, ownerToken }).then(
    () => "succeeded",
    (err: unknown) => (isProgramError(err, "WithdrawalNotReady") ? "WithdrawalNotReady" : String(err)),
  );
  story.expect("withdraw early", "outcome", early, "WithdrawalNotReady");
  await story.record("withdraw before notice", { vault: vaultBalance, treasury: 45n * USDC, stakers, owner: 0n }, `refused: ${early}`);

  advanceClock(d.svm, d.config.withdrawalNoticeSecs);
  await client.withdrawUnused({ owner, ownerToken });
  const withdrawn = eventsNamed(story.lastEvents(), "FundsWithdrawn")[0];
  story.expect("withdraw", "FundsWithdrawn.amount", withdrawn?.amount, vaultBalance);
  await story.record("withdraw after notice", { vault: 0n, treasury: 45n * USDC, stakers, owner: vaultBalance }, `clock +${d.config.withdrawalNoticeSecs} s; FundsWithdrawn ${usdc(withdrawn?.amount ?? 0n)}`);

  const total = story.rows[story.rows.length - 1];
  story.expect("end", "money is conserved", total.vault + total.treasury + total.stakers + total.owner, OWNER_WALLET);
  return { rows: story.rows, mismatches: story.mismatches, events: story.events };
}

/** The story as a plain-text table, amounts in USDC. */
export function formatStoryTable(rows: readonly StoryRow[]): string {
  const money = (n: bigint) => formatUsdc(n, { unit: false });
  const header = ["step", "vault", "treasury", "stakers", "owner", "note"];
  const body = rows.map((r) => [r.step, money(r.vault), money(r.treasury), money(r.stakers), money(r.owner), r.note]);
  const widths = header.slice(0, 5).map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[0]) : i < 5 ? c.padStart(widths[i]) : c)).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  ") + "  ----", ...body.map(line)].join("\n");
}
