// Whole team lives in the SVM, step by step: after every step the vault, treasury, staker pool and
// owner balances are exactly what the billing rules say, and conservation holds (everything minted is
// accounted for, every vault matches its books, revenue equals what the teams spent).
import assert from "node:assert/strict";
import { TeamStatus, Tier, USDC, eventsNamed, type BillingEvent, type EventName } from "../../sdk/src";
import { advanceClock, now, warpTo, type TeamFixture } from "../support";
import { assertConserved, createBed, lastEvents, tokenAmount, type TestBed } from "./support/bed";
import { expectError } from "./support/expect";

interface Balances {
  vault: bigint;
  treasury: bigint;
  stakers: bigint;
  owner: bigint;
}

/** Runs steps against one team and checks the four balances and conservation after each. */
class Story {
  private last: BillingEvent[] = [];
  constructor(
    readonly bed: TestBed,
    readonly t: TeamFixture,
    private expected: Balances,
  ) {}

  static async start(bed: TestBed, options: { tier?: number; walletUsdc: bigint }): Promise<Story> {
    const t = await bed.createTeam({ tier: options.tier, walletUsdc: options.walletUsdc });
    const story = new Story(bed, t, { vault: 0n, treasury: await bed.balance(bed.treasury), stakers: await bed.balance(bed.stakerPool), owner: options.walletUsdc });
    await story.check("opened");
    return story;
  }

  balances(): Balances {
    const { bed, t } = this;
    // tokenAmount reads a closed vault as 0.
    return { vault: tokenAmount(bed, t.vault), treasury: tokenAmount(bed, bed.treasury), stakers: tokenAmount(bed, bed.stakerPool), owner: tokenAmount(bed, t.ownerToken) };
  }

  private async check(label: string): Promise<void> {
    assert.deepEqual(this.balances(), this.expected, `balances after "${label}"`);
    await assertConserved(this.bed, label);
  }

  /** Runs `action`, applies `delta` to the expected balances, and checks them. */
  async step(label: string, action: () => Promise<unknown>, delta: Partial<Balances> = {}): Promise<BillingEvent[]> {
    await action();
    this.last = lastEvents(this.bed.provider, this.bed.programId);
    for (const key of Object.keys(delta) as (keyof Balances)[]) this.expected[key] += delta[key] ?? 0n;
    await this.check(label);
    return this.last;
  }

  events<K extends EventName>(name: K) {
    return eventsNamed(this.last, name);
  }

  deposit = (amount: bigint) =>
    this.step(`deposit ${amount}`, () => this.bed.client.depositFunds({ depositor: this.t.owner, depositorToken: this.t.ownerToken, teamOwner: this.t.owner.publicKey, amount }), { vault: amount, owner: -amount });

  roll = (delta: Partial<Balances>) => this.step("roll", () => this.bed.client.rollPeriod({ teamOwner: this.t.owner.publicKey }), delta);

  private seq = 0n;
  usage = (requests: bigint, delta: Partial<Balances>) => {
    this.seq += 1n;
    const batchSeq = this.seq;
    return this.step(`usage ${requests}`, () => this.bed.client.deductUsage({ billingAuthority: this.bed.billingAuthority, teamOwner: this.t.owner.publicKey, batchSeq, requestCount: requests, usageRoot: new Uint8Array(32) }), delta);
  };

  team() {
    return this.bed.team(this.t.owner.publicKey);
  }
}

describe("team lifecycle", () => {
  let bed: TestBed;
  beforeEach(async () => {
    bed = await createBed();
  });

  it("goes into debt, is suspended, and recovers by a deposit and a roll", async () => {
    const s = await Story.start(bed, { walletUsdc: 1_000n * USDC });
    await s.deposit(60n * USDC);
    await s.roll({ vault: -50n * USDC, treasury: 45n * USDC, stakers: 5n * USDC });
    // 2,000 requests beyond the quota cost 20 USDC; the vault pays 10, 10 becomes debt.
    await s.usage(12_000n, { vault: -10n * USDC, stakers: 10n * USDC });
    let team = await s.team();
    assert.equal(team.status, TeamStatus.Suspended);
    assert.equal(team.unpaidOverage, 10n * USDC);
    // Suspended: no tier change, nothing to withdraw, and a deposit alone does not pay the debt.
    await expectError(bed.client.updateTier({ authority: s.t.owner, teamOwner: s.t.owner.publicKey, newTier: Tier.Growth }), "OutstandingDebt", bed.provider);
    await s.deposit(100n * USDC);
    assert.equal((await s.team()).status, TeamStatus.Suspended);
    await expectError(bed.client.requestWithdrawal({ owner: s.t.owner, amount: 90n * USDC + 1n }), "InsufficientFunds", bed.provider);
    // The crank collects the overage debt, all of it for the stakers, and the team is active again.
    await s.roll({ vault: -10n * USDC, stakers: 10n * USDC });
    assert.deepEqual(s.events("RevenueDistributed"), [{ team: s.t.team.toBase58(), source: 3, treasuryAmount: 0n, stakerAmount: 10n * USDC }]);
    team = await s.team();
    assert.equal(team.status, TeamStatus.Active);
    assert.equal(team.unpaidOverage, 0n);
    assert.equal(team.totalSpent, 70n * USDC);
    // Usage continues to be priced from where the period count stands.
    await s.usage(100n, { vault: -USDC, stakers: USDC });
    // The next period starts with its base fee.
    warpTo(bed.svm, team.periodEnd);
    await s.roll({ vault: -50n * USDC, treasury: 45n * USDC, stakers: 5n * USDC });
    assert.equal((await s.team()).periodRequests, 0n);
    await s.usage(10_000n, {});
  });

  it("recovers from a base fee it could not pay: the debt is collected before the next fee", async () => {
    const s = await Story.start(bed, { walletUsdc: 1_000n * USDC });
    await s.deposit(20n * USDC);
    await s.roll({ vault: -20n * USDC, treasury: 18n * USDC, stakers: 2n * USDC });
    assert.equal((await s.team()).unpaidBaseFee, 30n * USDC);
    await s.deposit(100n * USDC);
    const { periodEnd } = await s.team();
    warpTo(bed.svm, periodEnd);
    // Debt 30 (27/3), then the new period's 50 (45/5).
    const events = await s.roll({ vault: -80n * USDC, treasury: 72n * USDC, stakers: 8n * USDC });
    assert.deepEqual(
      events.map((e) => e.name),
      ["RevenueDistributed", "PeriodRolled", "RevenueDistributed"],
    );
    const team = await s.team();
    assert.equal(team.status, TeamStatus.Active);
    assert.equal(team.unpaidBaseFee, 0n);
  });

  it("alerts on low balance only when crossing below the threshold, and again after a deposit re-arms it", async () => {
    const s = await Story.start(bed, { walletUsdc: 1_000n * USDC });
    const alert = (balance: bigint) => [{ team: s.t.team.toBase58(), owner: s.t.owner.publicKey.toBase58(), balance, threshold: 10n * USDC, timestamp: now(bed.svm) }];
    await s.deposit(100n * USDC);
    await s.roll({ vault: -50n * USDC, treasury: 45n * USDC, stakers: 5n * USDC });
    assert.deepEqual(s.events("LowBalanceAlert"), []);
    await s.usage(13_000n, { vault: -30n * USDC, stakers: 30n * USDC });
    assert.deepEqual(s.events("LowBalanceAlert"), [], "20 USDC left: above the threshold");
    await s.usage(1_500n, { vault: -15n * USDC, stakers: 15n * USDC });
    assert.deepEqual(s.events("LowBalanceAlert"), alert(5n * USDC), "crossing below 10 USDC");
    await s.usage(100n, { vault: -USDC, stakers: USDC });
    assert.deepEqual(s.events("LowBalanceAlert"), [], "still below: no second alert");
    await s.deposit(3n * USDC);
    assert.equal((await s.team()).lowBalanceAlerted, true, "a deposit that stays below does not re-arm");
    await s.usage(100n, { vault: -USDC, stakers: USDC });
    assert.deepEqual(s.events("LowBalanceAlert"), []);
    await s.deposit(20n * USDC);
    assert.equal((await s.team()).lowBalanceAlerted, false, "back to 26 USDC: re-armed");
    await s.usage(100n, { vault: -USDC, stakers: USDC });
    assert.deepEqual(s.events("LowBalanceAlert"), [], "25 USDC left");
    await s.usage(2_000n, { vault: -20n * USDC, stakers: 20n * USDC });
    assert.deepEqual(s.events("LowBalanceAlert"), alert(5n * USDC), "crossing again");
    // Exactly at the threshold is not below it.
    await s.deposit(5n * USDC);
    assert.equal((await s.team()).lowBalanceAlerted, false);
    await s.step("threshold 9.99 USDC", () => bed.client.setTeamLimits({ owner: s.t.owner, lowBalanceThreshold: 9_990_000n, spendCap: 0n }));
    await s.usage(1n, { vault: -10_000n, stakers: 10_000n });
    assert.deepEqual(s.events("LowBalanceAlert"), [], "9.99 USDC left: at the threshold, not below");
    await s.usage(1n, { vault: -10_000n, stakers: 10_000n });
    assert.deepEqual(s.events("LowBalanceAlert").map((a) => [a.balance, a.threshold]), [[9_980_000n, 9_990_000n]]);
  });

  it("alerts when a withdrawal or an upgrade crosses below the threshold", async () => {
    const s = await Story.start(bed, { walletUsdc: 1_000n * USDC });
    await s.deposit(300n * USDC);
    await s.roll({ vault: -50n * USDC, treasury: 45n * USDC, stakers: 5n * USDC });
    await s.step("request 100", () => bed.client.requestWithdrawal({ owner: s.t.owner, amount: 100n * USDC }));
    advanceClock(bed.svm, bed.config.withdrawalNoticeSecs);
    await s.step("withdraw 100", () => bed.client.withdrawUnused({ owner: s.t.owner, ownerToken: s.t.ownerToken }), { vault: -100n * USDC, owner: 100n * USDC });
    assert.deepEqual(s.events("LowBalanceAlert"), []);
    await s.step("request 145", () => bed.client.requestWithdrawal({ owner: s.t.owner, amount: 145n * USDC }));
    advanceClock(bed.svm, bed.config.withdrawalNoticeSecs);
    await s.step("withdraw 145", () => bed.client.withdrawUnused({ owner: s.t.owner, ownerToken: s.t.ownerToken }), { vault: -145n * USDC, owner: 145n * USDC });
    assert.deepEqual(eventsNamed(lastEvents(bed.provider, bed.programId), "LowBalanceAlert").map((a) => a.balance), [5n * USDC]);
    await s.deposit(200n * USDC);
    const { periodEnd } = await s.team();
    // Upgrading to Growth charges (250 − 50) USDC × remaining / period.
    const remaining = periodEnd - now(bed.svm);
    const prorated = (200n * USDC * remaining) / bed.config.periodSecs;
    const treasuryPart = (prorated * 9_000n) / 10_000n;
    await s.step("upgrade to Growth", () => bed.client.updateTier({ authority: s.t.owner, teamOwner: s.t.owner.publicKey, newTier: Tier.Growth }), { vault: -prorated, treasury: treasuryPart, stakers: prorated - treasuryPart });
    assert.deepEqual(s.events("TierUpdated").map((e) => e.proratedFee), [prorated]);
    // Two notices into the period, the proration is just under 200 USDC: the vault crosses below 10 again.
    assert.ok(205n * USDC - prorated < 10n * USDC);
    assert.deepEqual(s.events("LowBalanceAlert").map((a) => a.balance), [205n * USDC - prorated]);
  });

  it("lives through several periods with a downgrade, a spend cap and a withdrawal, ending closed with everything accounted for", async () => {
    const s = await Story.start(bed, { tier: Tier.Growth, walletUsdc: 2_000n * USDC });
    await s.deposit(1_000n * USDC);
    await s.roll({ vault: -250n * USDC, treasury: 225n * USDC, stakers: 25n * USDC });
    await s.step("spend cap 30 USDC", () => bed.client.setTeamLimits({ owner: s.t.owner, lowBalanceThreshold: 0n, spendCap: 30n * USDC }));
    // 100,000 included; 10,000 more at 0.005 = 50 USDC, capped at 30.
    await s.usage(110_000n, { vault: -30n * USDC, stakers: 30n * USDC });
    assert.deepEqual(s.events("UsageDeducted").map((e) => [e.amountCharged, e.amountWaived]), [[30n * USDC, 20n * USDC]]);
    await s.step("downgrade to Startup", () => bed.client.updateTier({ authority: s.t.owner, teamOwner: s.t.owner.publicKey, newTier: Tier.Startup }));
    let team = await s.team();
    warpTo(bed.svm, team.periodEnd);
    await s.roll({ vault: -50n * USDC, treasury: 45n * USDC, stakers: 5n * USDC });
    team = await s.team();
    assert.equal(team.tier, Tier.Startup);
    // The cap applies per period: this period starts from zero overage spend.
    await s.usage(13_000n, { vault: -30n * USDC, stakers: 30n * USDC });
    warpTo(bed.svm, team.periodEnd + bed.config.periodSecs * 2n + 5n);
    await s.roll({ vault: -50n * USDC, treasury: 45n * USDC, stakers: 5n * USDC });
    const left = 1_000n * USDC - 250n * USDC - 30n * USDC - 50n * USDC - 30n * USDC - 50n * USDC;
    assert.equal(s.balances().vault, left);
    await s.step("request everything", () => bed.client.requestWithdrawal({ owner: s.t.owner, amount: left }));
    advanceClock(bed.svm, bed.config.withdrawalNoticeSecs);
    await s.step("withdraw everything", () => bed.client.withdrawUnused({ owner: s.t.owner, ownerToken: s.t.ownerToken }), { vault: -left, owner: left });
    team = await s.team();
    assert.equal(team.totalDeposited - team.totalWithdrawn, team.totalSpent);
    assert.equal(team.totalSpent, 410n * USDC);
    const rent = bed.provider.lamports(s.t.team) + bed.provider.lamports(s.t.vault);
    const lamports = bed.provider.lamports(s.t.owner.publicKey);
    await s.step("close", () => bed.client.closeTeamAccount({ owner: s.t.owner }));
    assert.equal(bed.provider.lamports(s.t.owner.publicKey), lamports + rent);
    assert.equal(s.balances().owner, 2_000n * USDC - 410n * USDC);
  });
});
