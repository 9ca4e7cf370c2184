import assert from "node:assert/strict";
import { DEFAULT_TIERS, U64_MAX } from "../../sdk/src/constants";
import { TestClock } from "../test/clock";
import { PERIOD_END, PERIOD_SECS, teamState, USDC } from "../test/fixtures";
import { MemoryBalanceSource, type TeamChainState } from "./balance/source";
import { createGate, HEADER, type Admission } from "./gate";
import { TicketStateError, UsageLogUnavailableError } from "./ticket";
import { hashApiKey } from "./keys/hash";
import { MemoryKeySource, type KeyRecord } from "./keys/source";
import type { GateOptions } from "./options";
import type { GateLeases } from "./balance/leases";
import { decodePaymentRequired } from "./payment-required";
import { apiKeyFrom, userIdFrom } from "./request";
import { MemoryUsageSink } from "./usage/sink";

const KEY = "pk_live_team1";
const TEAM = teamState().team;
const VAULT = teamState().vault;
const MINT = teamState().mint;
const PRICE = 10_000n; // Startup overage price per request
const QUOTA = 10_000n; // Startup included requests

function keyRecord(patch: Partial<KeyRecord> = {}): KeyRecord {
  return {
    teamId: "team-1",
    team: TEAM,
    vault: VAULT,
    revoked: false,
    members: new Map([
      ["alice", { allocation: null, allocationUsed: 0n }],
      ["bob", { allocation: 50_000n, allocationUsed: 20_000n }],
    ]),
    ...patch,
  };
}

function harness(opts: Partial<GateOptions> = {}, state: Partial<TeamChainState> = {}) {
  const clock = new TestClock();
  const keys = new MemoryKeySource();
  keys.set(hashApiKey(KEY), keyRecord());
  const balances = new MemoryBalanceSource(clock.now);
  balances.set(teamState(state));
  const usage = new MemoryUsageSink();
  let n = 0;
  const gate = createGate({ keys, balances, usage, now: clock.now, requestId: () => `req-${++n}`, ...opts });
  const admit = (units: number | bigint = 1, userId: string | null = null, key: string | null = KEY) =>
    gate.admit({ key, userId, endpoint: "/api/v1/verify", units });
  return { clock, keys, balances, usage, gate, admit };
}

/** A gate on real time over the given chain source, with KEY known. */
function gateOver(balances: MemoryBalanceSource) {
  const keys = new MemoryKeySource();
  keys.set(hashApiKey(KEY), keyRecord());
  return createGate({ keys, balances, usage: new MemoryUsageSink() });
}

function refused(a: Admission, status: number, error: string): void {
  assert.equal(a.ok, false, `expected ${error}, got ok`);
  assert.equal(a.status, status);
  assert.equal(a.error, error);
  assert.equal(a.body?.error, error);
  assert.ok(a.body?.message, "a refusal carries a message");
  assert.equal(a.ticket, null);
  assert.ok(a.headers[HEADER.requestId], "every answer carries X-Request-Id");
}

describe("gate admission", () => {
  describe("success", () => {
    it("admits a valid key within quota at cost 0 with billing and request-id headers", async () => {
      const { admit } = harness();
      const a = await admit();
      assert.equal(a.ok, true);
      assert.equal(a.status, 200);
      assert.equal(a.error, null);
      assert.equal(a.body, null);
      assert.equal(a.cost, 0n);
      assert.equal(a.available, 100n * USDC);
      assert.equal(a.limit, 40);
      assert.equal(a.remaining, 39);
      assert.deepEqual(a.headers, {
        [HEADER.requestId]: "req-1",
        [HEADER.cost]: "0",
        [HEADER.available]: String(100n * USDC),
      });
      assert.equal(a.ticket?.status, "open");
    });

    it("adds the X-RateLimit headers to successes with rateLimitHeaders: always", async () => {
      const { admit, clock } = harness({ rateLimitHeaders: "always" });
      const a = await admit();
      assert.deepEqual(a.headers, {
        [HEADER.requestId]: "req-1",
        [HEADER.limit]: "40",
        [HEADER.remaining]: "39",
        [HEADER.reset]: "1",
        [HEADER.cost]: "0",
        [HEADER.available]: String(100n * USDC),
      });
      for (let i = 0; i < 20; i++) await admit();
      const b = await admit();
      assert.equal(b.headers[HEADER.remaining], "18");
      assert.equal(b.headers[HEADER.reset], "2", "22 tokens short at 20/s: 1.1 s, rounded up");
      clock.advance(2_000);
      assert.equal((await admit()).headers[HEADER.remaining], "39", "the bucket refilled");
    });

    it("refuses an unknown rateLimitHeaders mode", () => {
      assert.throws(() => harness({ rateLimitHeaders: "sometimes" as never }), /rateLimitHeaders must be "refusals" or "always"/);
    });

    it("asks the key source and the chain once, then decides from memory", async () => {
      const { admit, keys, balances } = harness();
      for (let i = 0; i < 10; i++) assert.equal((await admit()).ok, true);
      assert.equal(keys.resolveCalls, 1);
      assert.equal(balances.followCalls, 0, "a team already followed is read synchronously");
    });

    it("appends the usage entry on commit, once, and counts admissions, commits and releases", async () => {
      const { admit, usage, clock, gate } = harness({}, { periodRequests: QUOTA });
      const gateStats = () => ({ ...gate.stats });
      const a = await admit(3, "alice");
      await a.ticket!.commit();
      assert.deepEqual(usage.entries, [
        {
          requestId: "req-1",
          teamId: "team-1",
          team: TEAM,
          userId: "alice",
          endpoint: "/api/v1/verify",
          units: 3n,
          cost: 3n * PRICE,
          timestampMs: clock.ms,
        },
      ]);
      assert.equal(a.ticket!.status, "committed");
      await assert.rejects(a.ticket!.commit(), TicketStateError);
      refused(await admit(1, null, null), 401, "missing_api_key");
      const b = await admit();
      b.ticket!.release();
      assert.deepEqual(gateStats(), { admitted: 2, refused: 1, committed: 1, released: 1 });
      a.ticket!.release();
      assert.equal(a.ticket!.status, "committed", "release after commit changes nothing");
    });

    it("attributes a request without X-User-ID to the team", async () => {
      const { admit, usage } = harness();
      const a = await admit(1, null);
      await a.ticket!.commit();
      assert.equal(usage.entries[0]!.userId, null);
    });
  });

  describe("401 and 403", () => {
    it("refuses a request without a key", async () => {
      const { admit } = harness();
      refused(await admit(1, null, null), 401, "missing_api_key");
      refused(await admit(1, null, ""), 401, "missing_api_key");
    });

    it("refuses an unknown key and remembers it as unknown for a while", async () => {
      const { admit, keys } = harness();
      refused(await admit(1, null, "pk_wrong"), 401, "invalid_api_key");
      refused(await admit(1, null, "pk_wrong"), 401, "invalid_api_key");
      assert.equal(keys.resolveCalls, 1);
    });

    it("refuses a revoked key from the first revocation poll after the revocation", async () => {
      const { admit, keys, gate } = harness();
      await gate.keys.poll();
      assert.equal((await admit()).ok, true);
      keys.revoke(hashApiKey(KEY));
      await gate.keys.poll();
      refused(await admit(), 401, "revoked_api_key");
    });

    it("records a key's last use through the background poll, not during admit", async () => {
      const { admit, keys, gate, clock } = harness();
      assert.equal((await admit()).ok, true);
      assert.equal((await admit()).ok, true);
      assert.equal(keys.touchCalls, 0, "admit never calls touch");
      await gate.keys.poll();
      assert.equal(keys.touchCalls, 1, "two uses within a minute: one touch");
      assert.equal(keys.lastUsed.get(hashApiKey(KEY)), clock.now());
      refused(await admit(1, null, "pk_wrong"), 401, "invalid_api_key");
      await gate.keys.poll();
      assert.equal(keys.touchCalls, 1, "an unknown key is not touched");
    });

    it("stops a revoked key within revocationCheckMs on real timers", async () => {
      const balances = new MemoryBalanceSource();
      balances.set(teamState());
      const keys = new MemoryKeySource();
      keys.set(hashApiKey(KEY), keyRecord());
      const gate = createGate({ keys, balances, usage: new MemoryUsageSink(), revocationCheckMs: 50 });
      gate.start();
      try {
        await new Promise((r) => setTimeout(r, 10));
        assert.equal((await gate.admit({ key: KEY, endpoint: "/e" })).ok, true);
        keys.revoke(hashApiKey(KEY));
        const revokedAt = Date.now();
        while ((await gate.admit({ key: KEY, endpoint: "/e" })).ok) await new Promise((r) => setTimeout(r, 5));
        assert.ok(Date.now() - revokedAt < 500, "refused within a few poll intervals");
      } finally {
        gate.close();
      }
    });

    it("answers 503 with Retry-After when an uncached key cannot be looked up", async () => {
      const { admit, keys } = harness();
      keys.failWith = new Error("ledger unreachable");
      const a = await admit();
      refused(a, 503, "key_service_unavailable");
      assert.equal(a.headers[HEADER.retryAfter], "1");
    });

    it("refuses an X-User-ID that is not a member of the key's team", async () => {
      const { admit } = harness();
      refused(await admit(1, "mallory"), 403, "not_a_member");
      assert.equal((await admit(1, "alice")).ok, true);
    });
  });

  describe("422", () => {
    it("refuses units that are not an integer from 1 to maxUnits", async () => {
      const { admit } = harness({ maxUnits: 100 });
      for (const u of [0, -1, 1.5, 101, Number.NaN, 0n, 101n]) refused(await admit(u), 422, "invalid_request");
      assert.equal((await admit(100n)).ok, true);
    });

    it("refuses an endpoint the ledger cannot store: empty, over 64 characters, spaces or non-ASCII", async () => {
      const { gate } = harness();
      for (const endpoint of ["", "e".repeat(65), "/api/v1 verify", "/api/é"]) {
        refused(await gate.admit({ key: KEY, endpoint }), 422, "invalid_request");
      }
      assert.equal((await gate.admit({ key: KEY, endpoint: "e".repeat(64) })).ok, true);
    });

    it("refuses a request whose price does not fit the chain's integers", async () => {
      const { admit } = harness({}, { periodRequests: U64_MAX });
      const a = await admit();
      refused(a, 422, "invalid_request");
      assert.match(a.body!.detail!, /MathOverflow/);
    });
  });

  describe("429", () => {
    it("refuses beyond the tier's burst with Retry-After and X-RateLimit headers", async () => {
      const { admit, clock } = harness();
      for (let i = 0; i < 40; i++) assert.equal((await admit()).ok, true);
      const a = await admit();
      refused(a, 429, "rate_limited");
      assert.equal(a.headers[HEADER.retryAfter], "1");
      assert.equal(a.headers[HEADER.limit], "40");
      assert.equal(a.headers[HEADER.remaining], "0");
      assert.equal(a.headers[HEADER.reset], "2");
      assert.equal(a.remaining, 0);
      clock.advance(50);
      assert.equal((await admit()).ok, true, "one token back after 50 ms at 20/s");
    });

    it("uses the limit of the team's tier on chain", async () => {
      const { admit } = harness({ rateLimitHeaders: "always" }, { tier: 1 });
      const a = await admit();
      assert.equal(a.limit, 200);
      assert.equal(a.headers[HEADER.limit], "200");
    });

    it("puts the X-RateLimit headers on refusals made after the limiter, not on earlier ones", async () => {
      const { admit } = harness({}, { vaultBalance: 0n, periodRequests: QUOTA });
      const poor = await admit();
      refused(poor, 402, "insufficient_balance");
      assert.equal(poor.headers[HEADER.limit], "40");
      assert.equal(poor.headers[HEADER.remaining], "39");
      assert.equal(poor.headers[HEADER.reset], "1");
      const stranger = await admit(1, "mallory");
      refused(stranger, 403, "not_a_member");
      assert.equal(stranger.headers[HEADER.limit], undefined, "the member check comes before the limiter");
    });
  });

  describe("402", () => {
    it("prices overage with the SDK mirror, counting requests reserved before", async () => {
      const { admit } = harness({}, { periodRequests: QUOTA - 2n });
      assert.equal((await admit()).cost, 0n);
      assert.equal((await admit()).cost, 0n);
      const third = await admit();
      assert.equal(third.cost, PRICE);
      assert.equal(third.headers[HEADER.cost], String(PRICE));
      assert.equal((await admit(5)).cost, 5n * PRICE);
    });

    it("refuses what the available balance cannot pay, with the JSON body and PAYMENT-REQUIRED", async () => {
      const { admit } = harness({ network: "solana:devnet" }, { periodRequests: QUOTA, vaultBalance: 25_000n });
      assert.equal((await admit()).available, 15_000n);
      assert.equal((await admit()).available, 5_000n);
      const a = await admit();
      refused(a, 402, "insufficient_balance");
      assert.deepEqual(a.body, {
        error: "insufficient_balance",
        message: a.body!.message,
        required: "10000",
        available: "5000",
        vault: VAULT,
        mint: MINT,
      });
      assert.equal(a.headers[HEADER.available], "5000");
      assert.deepEqual(decodePaymentRequired(a.headers[HEADER.paymentRequired]!), {
        version: 1,
        action: "deposit",
        network: "solana:devnet",
        instruction: "deposit_funds",
        team: TEAM,
        vault: VAULT,
        mint: MINT,
        amount: "5000",
      });
    });

    it("stops spending a pending withdrawal as soon as it is seen", async () => {
      const { admit, balances } = harness({}, { periodRequests: QUOTA, vaultBalance: 100_000n });
      assert.equal((await admit()).available, 90_000n);
      balances.update(TEAM, { pendingWithdrawal: 85_000n });
      const a = await admit();
      refused(a, 402, "insufficient_balance");
      assert.equal(a.body!.available, "5000");
    });

    it("refuses even requests within quota while debt exceeds the vault", async () => {
      const { admit } = harness({}, { vaultBalance: 1_000n, unpaidOverage: 3_000n, status: 1 });
      const a = await admit();
      refused(a, 402, "insufficient_balance");
      assert.equal(a.body!.available, "-2000");
      assert.equal(decodePaymentRequired(a.headers[HEADER.paymentRequired]!).amount, "2000");
    });

    it("keeps the unpaid base fee of the current period out of reach", async () => {
      const { admit } = harness({}, { baseFeePaid: false, vaultBalance: 40n * USDC });
      const a = await admit();
      refused(a, 402, "insufficient_balance");
      assert.equal(a.body!.available, String(-10n * USDC));
    });

    it("keeps the next period's base fee out of reach when the period ends before the next settlement", async () => {
      const { admit, clock, balances } = harness({ baseFeeHorizonMs: 120_000 }, { vaultBalance: 60n * USDC });
      assert.equal((await admit()).available, 60n * USDC);
      clock.ms = (PERIOD_END - 100) * 1000;
      balances.touch(TEAM);
      assert.equal((await admit()).available, 10n * USDC);
      // A wider periodEdgeMs widens the horizon: a chain clock that far ahead takes the fee that much earlier.
      const wide = harness({ baseFeeHorizonMs: 120_000, periodEdgeMs: 300_000 }, { vaultBalance: 60n * USDC });
      wide.clock.ms = (PERIOD_END - 250) * 1000;
      wide.balances.touch(TEAM);
      assert.equal((await wide.admit()).available, 10n * USDC);
    });

    it("prices a request after the period ended in the period the settler rolls to", async () => {
      const { admit, clock, balances } = harness({}, { periodRequests: QUOTA + 50n, periodOverageSpend: 500_000n });
      assert.equal((await admit()).cost, PRICE);
      clock.ms = (PERIOD_END + 120) * 1000; // periodEdgeMs (120 s) after the end
      balances.touch(TEAM);
      const a = await admit();
      assert.equal(a.ok, true);
      assert.equal(a.cost, 0n, "a new period starts with its quota");
    });

    it("reserves a request near the period's end at the higher of its prices in the two periods: the chain's clock decides", async () => {
      // The old period's quota is used up, the new one starts with its quota: the old price is the higher.
      const { admit, clock, balances } = harness({}, { periodRequests: QUOTA + 50n, periodOverageSpend: 500_000n });
      for (const at of [-120, -1, 0, 1, 119]) {
        clock.ms = (PERIOD_END + at) * 1000;
        balances.touch(TEAM);
        assert.equal((await admit()).cost, PRICE, `${at} s from the end`);
      }
      // A pending downgrade to a tier without included requests: the new period's price is the higher.
      const tiers = [{ monthlyFee: 50n * USDC, includedRequests: 0n, overagePrice: 2n * PRICE }, DEFAULT_TIERS[1]!, DEFAULT_TIERS[2]!];
      const down = harness({}, { tier: 1, pendingTier: 0, tiers, periodRequests: 200_000n, vaultBalance: 1_000n * USDC });
      down.clock.ms = (PERIOD_END - 121) * 1000;
      down.balances.touch(TEAM);
      assert.equal((await down.admit()).cost, DEFAULT_TIERS[1]!.overagePrice, "before the edge: the current period's");
      down.clock.ms = (PERIOD_END - 60) * 1000;
      down.balances.touch(TEAM);
      assert.equal((await down.admit()).cost, 2n * PRICE, "a chain clock ahead would roll before charging it");
      // periodEdgeMs 0 trusts the gate's clock.
      const trusting = harness({ periodEdgeMs: 0 }, { periodRequests: QUOTA + 50n, periodOverageSpend: 500_000n });
      trusting.clock.ms = PERIOD_END * 1000;
      trusting.balances.touch(TEAM);
      assert.equal((await trusting.admit()).cost, 0n);
    });

    it("tells the period by the chain's clock (the state's chainClockOffsetMs), not this machine's", async () => {
      const used = { periodRequests: QUOTA + 50n, periodOverageSpend: 500_000n };
      const ahead = harness({ periodEdgeMs: 0 }, { ...used, chainClockOffsetMs: 60_000 });
      ahead.clock.ms = (PERIOD_END - 30) * 1000;
      ahead.balances.touch(TEAM);
      assert.equal((await ahead.admit()).cost, 0n, "the chain is 30 s into the next period: its quota");
      const behind = harness({ periodEdgeMs: 0 }, { ...used, chainClockOffsetMs: -60_000 });
      behind.clock.ms = (PERIOD_END + 30) * 1000;
      behind.balances.touch(TEAM);
      const a = await behind.admit();
      assert.equal(a.cost, PRICE, "the chain is 30 s before the end: the old period's overage");
      assert.equal(a.ok, true, "the chain data is fresh by this machine's clock");
    });

    it("never tells a time before the chain's clock as the settler last read it (noteChainClock)", async () => {
      const used = { periodRequests: QUOTA + 50n, periodOverageSpend: 500_000n };
      const { admit, gate, clock, balances } = harness({ periodEdgeMs: 0 }, { ...used, chainClockOffsetMs: 0 });
      clock.ms = (PERIOD_END - 30) * 1000;
      balances.touch(TEAM);
      assert.equal((await admit()).cost, PRICE, "by the state's estimate, 30 s before the end");
      assert.equal(gate.leaseSpend(TEAM)!.periodEnd, PERIOD_END);
      gate.noteChainClock(PERIOD_END + 2); // the settler read the chain's clock past the end: it sends the roll
      assert.equal(gate.leaseSpend(TEAM)!.periodEnd, PERIOD_END + PERIOD_SECS, "reported in the period the roll starts");
      assert.equal((await admit()).cost, 0n, "priced in the new period, as the chain will charge it");
      gate.noteChainClock(PERIOD_END - 100); // an older reading (another round's) moves nothing back
      gate.noteChainClock(Number.NaN);
      assert.equal(gate.leaseSpend(TEAM)!.periodEnd, PERIOD_END + PERIOD_SECS);
      clock.ms = (PERIOD_END + 60) * 1000;
      balances.touch(TEAM);
      assert.equal(gate.leaseSpend(TEAM)!.periodEnd, PERIOD_END + PERIOD_SECS, "the estimate ahead of the reading is used");
    });

    it("refuses near the period's end a request the spend cap would waive in either period", async () => {
      const { admit, clock, balances } = harness({}, { periodRequests: QUOTA, periodOverageSpend: 30_000n, spendCap: 30_000n });
      clock.ms = (PERIOD_END + 10) * 1000;
      balances.touch(TEAM);
      refused(await admit(), 402, "spend_cap_reached");
      clock.ms = (PERIOD_END + 120) * 1000;
      balances.touch(TEAM);
      assert.equal((await admit()).cost, 0n, "past the edge: the new period, within its quota");
    });

    it("refuses a request the spend cap would waive", async () => {
      const { admit } = harness({}, { periodRequests: QUOTA, periodOverageSpend: 15_000n, spendCap: 30_000n });
      assert.equal((await admit()).ok, true);
      const a = await admit();
      refused(a, 402, "spend_cap_reached");
      assert.equal(a.body!.required, String(PRICE));
      assert.equal(a.body!.spendCap, "30000");
    });

    describe("an instance's share (several gates with their own usage logs serving one team)", () => {
      it("admits against its share of the funds left after debt, withdrawal and base fee, and asks a deposit its share covers", async () => {
        const { admit } = harness({ instanceShareBps: 4_000 }, { periodRequests: QUOTA, vaultBalance: 100_000n, pendingWithdrawal: 50_000n });
        assert.equal((await admit()).available, 10_000n, "40% of 50,000 is 20,000, less this request");
        assert.equal((await admit()).available, 0n);
        const a = await admit();
        refused(a, 402, "insufficient_balance");
        assert.equal(a.body!.available, "0");
        assert.equal(decodePaymentRequired(a.headers[HEADER.paymentRequired]!).amount, "25000", "40% of 25,000 pays the request");
      });

      it("prices as included only its share of the included requests, less what it settled this period, never more than the chain has left", async () => {
        const nearlyAll = harness({ instanceShareBps: 5_000 }, { periodRequests: QUOTA - 4n, vaultBalance: 100n * USDC });
        for (let i = 0; i < 4; i++) assert.equal((await nearlyAll.admit()).cost, 0n, "the chain has 4 included requests left");
        assert.equal((await nearlyAll.admit()).cost, PRICE);

        const { admit, gate } = harness({ instanceShareBps: 5_000 }, { periodRequests: 0n, vaultBalance: 100n * USDC });
        assert.equal((await admit()).cost, 0n);
        // Its own batches settled 4,997 requests this period: with the one reserved, 2 of its 5,000 are left.
        gate.book(TEAM)!.restoreSpend({ key: PERIOD_END, seq: 1n, charged: 0n, units: 4_997n }, []);
        assert.equal((await admit()).cost, 0n);
        assert.equal((await admit()).cost, 0n);
        assert.equal((await admit()).cost, PRICE, "its half of the included requests is used, though the chain shows 9,999 left");
      });

      it("counts the other instances' part of the spend cap as spent", async () => {
        const { admit } = harness({ instanceShareBps: 5_000 }, { periodRequests: QUOTA, periodOverageSpend: 10_000n, spendCap: 50_000n });
        assert.equal((await admit()).ok, true);
        assert.equal((await admit()).ok, true, "its half of the 50,000 cap (others spent 10,000 of theirs): two requests");
        refused(await admit(), 402, "spend_cap_reached");
      });

      it("takes its share of a basis no settlement moves: another instance's settled batch gives it no more (no debt)", async () => {
        // Two instances at 5,000 on a balance that pays 100 requests, all overage.
        const rateLimits = [{ ratePerSec: 1_000, burst: 1_000 }];
        const a = harness({ instanceShareBps: 5_000, rateLimits }, { periodRequests: QUOTA, vaultBalance: 100n * PRICE, slot: 1 });
        const b = harness({ instanceShareBps: 5_000, rateLimits }, { periodRequests: QUOTA, vaultBalance: 100n * PRICE, slot: 1 });
        let served = 0;
        const serveAll = async (h: typeof a) => {
          for (let r = await h.admit(); r.ok; r = await h.admit()) served++;
        };
        await serveAll(a);
        await serveAll(b);
        assert.equal(served, 100);
        // B's 50 settle: the vault pays 500,000, which the period's overage spend now shows.
        b.gate.sealReservation(TEAM, 1n, 50n, 50n * PRICE);
        const settled = { periodRequests: QUOTA + 50n, vaultBalance: 50n * PRICE, periodOverageSpend: 50n * PRICE, lastBatchSeq: 1n, slot: 2 };
        a.balances.set(teamState(settled));
        b.balances.set(teamState(settled));
        await serveAll(b);
        await serveAll(a);
        assert.equal(served, 100, "a share of the funds as they are now would let B take 25 more");
        assert.deepEqual(b.gate.book(TEAM)!.spent, { key: PERIOD_END, seq: 1n, charged: 50n * PRICE, units: 50n });
        const refusal = await b.admit();
        refused(refusal, 402, "insufficient_balance");
        assert.equal(refusal.body!.available, "0");
        // A deposit of 100,000 raises each half by 50,000: five more requests each.
        const deposited = { ...settled, vaultBalance: 60n * PRICE, slot: 3 };
        a.balances.set(teamState(deposited));
        b.balances.set(teamState(deposited));
        await serveAll(a);
        await serveAll(b);
        assert.equal(served, 110);
      });

      it("starts a new period's share from nothing spent", async () => {
        const { admit, gate, clock, balances } = harness({ instanceShareBps: 5_000 }, { periodRequests: QUOTA, vaultBalance: 60n * USDC });
        assert.equal((await admit()).ok, true);
        gate.book(TEAM)!.restoreSpend({ key: PERIOD_END, seq: 1n, charged: 30n * USDC - PRICE, units: 2_999n }, []);
        refused(await admit(), 402, "insufficient_balance"); // its half of 60 USDC: all spent or reserved
        clock.ms = (PERIOD_END + 120) * 1000;
        balances.touch(TEAM);
        const next = await admit();
        assert.equal(next.ok, true, "the period the settler rolls to starts from nothing spent");
        assert.equal(next.cost, 0n);
      });

      it("counts the other instances' part of a member's remaining allocation as used", async () => {
        const { admit } = harness({ instanceShareBps: 5_000 }, { periodRequests: QUOTA, vaultBalance: 100n * USDC });
        // bob: allocation 50,000 with 20,000 used in the ledger; half of the 30,000 left is 15,000: one request.
        assert.equal((await admit(1, "bob")).ok, true);
        refused(await admit(1, "bob"), 402, "member_allocation_exhausted");
      });

      it("allows its share of staleAllowance on stale data", async () => {
        const { admit, clock } = harness({ instanceShareBps: 5_000, onChainUnavailable: "allow-up-to", staleAllowance: 30_000n }, { periodRequests: QUOTA });
        clock.advance(20_000);
        assert.equal((await admit()).ok, true);
        refused(await admit(), 503, "chain_unavailable");
      });

      it("is the whole by default and must be an integer from 1 to 10,000", () => {
        const { keys, balances, usage } = harness();
        assert.equal(createGate({ keys, balances, usage }).options.instanceShareBps, 10_000);
        for (const bad of [0, 10_001, 2.5, Number.NaN]) {
          assert.throws(() => createGate({ keys, balances, usage, instanceShareBps: bad }), /instanceShareBps must be an integer from 1 to 10000/);
        }
      });
    });

    describe("leased shares (GateOptions.leases)", () => {
      /** Shares as a ledger would grant them, in memory; acquire grants `onAcquire` (or fails when null). */
      class MemoryLeases implements GateLeases {
        shares = new Map<string, number>();
        demand = new Map<string, number>();
        acquired: string[] = [];
        constructor(private readonly onAcquire: number | null) {}
        share(team: string) {
          return this.shares.get(team);
        }
        async acquire(team: string) {
          this.acquired.push(team);
          if (this.onAcquire === null) throw new Error("ledger unreachable");
          this.shares.set(team, this.onAcquire);
        }
        noteDemand(team: string, units: number) {
          this.demand.set(team, (this.demand.get(team) ?? 0) + units);
        }
      }

      it("gets the team's first lease before its first admission, then admits synchronously", async () => {
        const leases = new MemoryLeases(10_000);
        const { gate, admit } = harness({ leases }, { periodRequests: QUOTA });
        assert.equal(gate.admitNow({ key: KEY, endpoint: "/api/v1/verify" }), undefined, "no lease yet: admit() must get one");
        assert.equal((await admit()).ok, true);
        assert.deepEqual(leases.acquired, [TEAM]);
        const a = gate.admitNow({ key: KEY, endpoint: "/api/v1/verify", units: 3 });
        assert.equal(a?.ok, true);
        assert.equal(leases.demand.get(TEAM), 4, "admitted requests count as demand, by units");
      });

      it("answers 503 balance_lease_unavailable when the first lease cannot be had", async () => {
        const { admit } = harness({ leases: new MemoryLeases(null) });
        const a = await admit();
        refused(a, 503, "balance_lease_unavailable");
        assert.equal(a.headers[HEADER.retryAfter], "1");
        assert.match(a.body!.detail!, /ledger unreachable/);
      });

      it("answers 503 (retry) while the team's funds would pay and only this instance's share is short, noting the demand", async () => {
        const leases = new MemoryLeases(2_500);
        const { admit } = harness({ leases }, { periodRequests: QUOTA, vaultBalance: 100_000n });
        assert.equal((await admit()).available, 15_000n, "25% of 100,000, less this request");
        assert.equal((await admit()).available, 5_000n);
        const a = await admit();
        refused(a, 503, "balance_lease_unavailable");
        assert.equal(a.headers[HEADER.retryAfter], "1");
        assert.equal(a.headers[HEADER.paymentRequired], undefined, "a deposit is not what is missing");
        assert.deepEqual([a.body!.required, a.body!.available], ["10000", "5000"]);
        assert.equal(leases.demand.get(TEAM), 3, "two admitted, one refused for want of share");
        leases.shares.set(TEAM, 10_000); // the ledger moved the rest here
        assert.equal((await admit()).available, 70_000n);
      });

      it("answers 402 with the team-wide shortfall when even the whole of the funds cannot pay", async () => {
        const leases = new MemoryLeases(5_000);
        const { admit } = harness({ leases }, { periodRequests: QUOTA, vaultBalance: 25_000n });
        assert.equal((await admit()).ok, true, "half of 25,000 pays one request");
        const a = await admit();
        refused(a, 503, "balance_lease_unavailable"); // 15,000 of the whole is left
        const b = await admit(2);
        refused(b, 402, "insufficient_balance");
        assert.equal(decodePaymentRequired(b.headers[HEADER.paymentRequired]!).amount, "5000", "20,000 needed, 15,000 left in the team");
      });

      it("gives as its floor the share its reservations and its spend this period take: of the basis, the included requests and the spend cap", async () => {
        const leases = new MemoryLeases(10_000);
        const funds = harness({ leases }, { periodRequests: QUOTA, vaultBalance: 300_000n });
        assert.equal(funds.gate.leaseFloorBps(TEAM), 0, "nothing reserved, no book yet");
        await funds.admit();
        assert.equal(funds.gate.leaseFloorBps(TEAM), 334, "10,000 of 300,000, rounded up");
        const included = harness({ leases: new MemoryLeases(10_000) }, { periodRequests: QUOTA - 8n, vaultBalance: 300_000n });
        await included.admit(2);
        assert.equal(included.gate.leaseFloorBps(TEAM), 2, "2 of the period's 10,000 included requests, while the chain has some left");
        const capped = harness({ leases: new MemoryLeases(10_000) }, { periodRequests: QUOTA, vaultBalance: 300_000n, spendCap: 40_000n });
        await capped.admit();
        assert.equal(capped.gate.leaseFloorBps(TEAM), 2_500, "10,000 of the 40,000 cap");
        const gone = harness({ leases: new MemoryLeases(10_000) }, { periodRequests: QUOTA, vaultBalance: 300_000n });
        await gone.admit();
        gone.balances.set(teamState({ periodRequests: QUOTA, vaultBalance: 0n, slot: 99 }));
        await gone.admit(); // observes the emptied vault
        assert.equal(gone.gate.leaseFloorBps(TEAM), 10_000, "reserved with no funds left: the whole");

        const spent = harness({ leases: new MemoryLeases(10_000) }, { periodRequests: QUOTA, vaultBalance: 200_000n, periodOverageSpend: 100_000n });
        assert.equal(spent.gate.leaseSpend(TEAM), null, "no book yet");
        await spent.admit();
        spent.gate.book(TEAM)!.restoreSpend({ key: PERIOD_END, seq: 3n, charged: 60_000n, units: 6n }, []);
        assert.equal(spent.gate.leaseFloorBps(TEAM), 2_334, "60,000 spent + 10,000 reserved of 300,000 (funds + this period's overage)");
        assert.deepEqual(spent.gate.leaseSpend(TEAM), { spentBps: 2_000, periodEnd: PERIOD_END, reserved: true });
        // Sealed into a batch, the reservation may be on chain before the next report: it counts as spent.
        spent.gate.sealReservation(TEAM, 4n, 1n, 10_000n);
        assert.deepEqual(spent.gate.leaseSpend(TEAM), { spentBps: 2_334, periodEnd: PERIOD_END, reserved: true });
        assert.equal(spent.gate.leaseFloorBps(TEAM), 2_334, "the floor is unchanged: the batch was reserved already");
        spent.balances.set(teamState({ periodRequests: QUOTA + 1n, vaultBalance: 190_000n, periodOverageSpend: 110_000n, lastBatchSeq: 4n, slot: 99 }));
        assert.deepEqual(spent.gate.leaseSpend(TEAM), { spentBps: 2_334, periodEnd: PERIOD_END, reserved: false }, "settled: the same share, now spent");
        spent.clock.ms = (PERIOD_END + 1) * 1000;
        assert.deepEqual(
          spent.gate.leaseSpend(TEAM),
          { spentBps: 0, periodEnd: PERIOD_END + PERIOD_SECS, reserved: false },
          "the period ended: its spend is of the past one, and what is spent now is charged in the period a roll starts",
        );
        spent.clock.ms = (PERIOD_END + 2 * PERIOD_SECS + 5) * 1000;
        assert.equal(spent.gate.leaseSpend(TEAM)!.periodEnd, PERIOD_END + 3 * PERIOD_SECS, "periods nobody rolled are skipped, as the program skips them");
      });

      it("excludes a fixed instanceShareBps", () => {
        const { keys, balances, usage } = harness();
        assert.throws(() => createGate({ keys, balances, usage, leases: new MemoryLeases(1), instanceShareBps: 5_000 }), /leases and instanceShareBps exclude each other/);
      });
    });

    it("refuses a member over their allocation and gives it back when a request is not served", async () => {
      const { admit } = harness({}, { periodRequests: QUOTA });
      // bob: allocation 50_000, 20_000 used in the ledger, 10_000 per request
      const tickets = [];
      for (let i = 0; i < 3; i++) {
        const a = await admit(1, "bob");
        assert.equal(a.ok, true);
        tickets.push(a.ticket!);
      }
      const a = await admit(1, "bob");
      refused(a, 402, "member_allocation_exhausted");
      assert.equal(a.body!.allocation, "50000");
      assert.equal(a.body!.used, "50000");
      assert.equal(a.headers[HEADER.paymentRequired], undefined, "a deposit would not help");
      assert.equal((await admit(1, "alice")).ok, true, "others are not limited by bob's allocation");
      tickets[0]!.release();
      assert.equal((await admit(1, "bob")).ok, true);
    });

    it("refuses a key whose team has no billing account on chain", async () => {
      const balances = new MemoryBalanceSource();
      const gate = gateOver(balances);
      const a = await gate.admit({ key: KEY, endpoint: "/e" });
      refused(a, 402, "team_account_missing");
      assert.equal(a.body!.vault, VAULT);
      refused(await gate.admit({ key: KEY, endpoint: "/e" }), 402, "team_account_missing");
      assert.equal(balances.followCalls, 1, "the absent team is followed, not asked for again");
    });

    it("refuses a key whose team the ledger knows no on-chain account for", async () => {
      const { admit, keys } = harness();
      keys.set(hashApiKey("pk_new_team"), keyRecord({ team: null, vault: null }));
      refused(await admit(1, null, "pk_new_team"), 402, "team_account_missing");
    });
  });

  describe("reservations", () => {
    it("releases the reservation of a request that was not served", async () => {
      const { admit } = harness({}, { periodRequests: QUOTA, vaultBalance: 20_000n });
      const a = await admit();
      assert.equal(a.available, 10_000n);
      a.ticket!.release();
      assert.equal(a.ticket!.status, "released");
      assert.equal((await admit()).available, 10_000n);
    });

    it("releases the reservation and reports the log unavailable when the usage entry cannot be appended", async () => {
      const { admit, usage } = harness({}, { periodRequests: QUOTA, vaultBalance: 20_000n });
      usage.failWith = new Error("disk full");
      const a = await admit(1, "bob");
      await assert.rejects(a.ticket!.commit(), (e: unknown) => {
        assert.ok(e instanceof UsageLogUnavailableError);
        assert.equal(e.code, "usage_log_unavailable");
        assert.match(e.message, /disk full/);
        return true;
      });
      assert.equal(a.ticket!.status, "released");
      usage.failWith = null;
      assert.equal((await admit(1, "bob")).available, 10_000n);
    });

    it("hands a settled batch over from the reservation to the chain balance without a gap", async () => {
      const { admit, gate, balances } = harness({}, { periodRequests: QUOTA, vaultBalance: 100_000n });
      for (let i = 0; i < 3; i++) await (await admit()).ticket!.commit();
      assert.equal((await admit()).available, 60_000n);
      // The settler seals the first three requests as batch 1 and sends it.
      gate.book(TEAM)!.seal(1n, 3n, 3n * PRICE);
      assert.equal((await admit()).available, 50_000n);
      // The chain shows batch 1 charged: the vault pays 30_000, period_requests grows by 3.
      balances.update(TEAM, { lastBatchSeq: 1n, vaultBalance: 70_000n, periodRequests: QUOTA + 3n, periodOverageSpend: 30_000n });
      const a = await admit();
      assert.equal(a.available, 40_000n);
      assert.equal(a.cost, PRICE, "priced after the settled and the reserved requests alike");
    });
  });

  describe("chain staleness", () => {
    it("refuses with 503 under the default deny once chain data is older than the bound", async () => {
      const { admit, clock, balances } = harness();
      clock.advance(15_000);
      assert.equal((await admit()).ok, true);
      clock.advance(1);
      const a = await admit();
      refused(a, 503, "chain_unavailable");
      assert.equal(a.headers[HEADER.retryAfter], "1");
      balances.touch(TEAM);
      assert.equal((await admit()).ok, true);
    });

    it("admits up to staleAllowance of cost on stale data with allow-up-to, then refuses until fresh data", async () => {
      const { admit, clock, balances } = harness(
        { onChainUnavailable: "allow-up-to", staleAllowance: 25_000n },
        { periodRequests: QUOTA },
      );
      clock.advance(20_000);
      assert.equal((await admit()).ok, true);
      assert.equal((await admit()).ok, true);
      refused(await admit(), 503, "chain_unavailable");
      balances.touch(TEAM);
      assert.equal((await admit()).ok, true, "fresh data resets the allowance");
    });

    it("refuses with 503 when the chain cannot be read for a team not yet followed", async () => {
      const balances = new MemoryBalanceSource();
      balances.failWith = new Error("rpc down");
      const gate = gateOver(balances);
      refused(await gate.admit({ key: KEY, endpoint: "/e" }), 503, "chain_unavailable");
    });
  });

  describe("synchronous admission (admitNow)", () => {
    it("declines until the key and the team are cached, then decides exactly as admit does", async () => {
      const { gate, balances } = harness();
      const state = balances.peek(TEAM)!;
      balances.delete(TEAM); // not followed: the first admission must read the chain
      const input = { key: KEY, userId: null, endpoint: "/api/v1/verify", units: 1 };
      assert.equal(gate.admitNow(input), undefined, "unknown key: admit() must look it up");
      const first = await gate.admit(input);
      assert.equal(first.error, "team_account_missing", "the chain read found no account");
      assert.equal(balances.followCalls, 1);
      balances.set(state); // the account appears (the poll would see it)
      const now = gate.admitNow(input)!;
      assert.equal(now.ok, true);
      assert.equal(now.requestId, "req-2", "the declined call drew no request id");
      assert.equal(balances.followCalls, 1, "no second chain read");
      await now.ticket!.commit();
    });

    it("refuses synchronously what needs no lookup: a missing key, a non-member, bad units", async () => {
      const { gate } = harness();
      assert.equal(gate.admitNow({ key: null, endpoint: "/api/v1/verify" })!.error, "missing_api_key");
      await gate.admit({ key: KEY, endpoint: "/api/v1/verify" });
      assert.equal(gate.admitNow({ key: KEY, userId: "mallory", endpoint: "/api/v1/verify" })!.status, 403);
      assert.equal(gate.admitNow({ key: KEY, endpoint: "/api/v1/verify", units: 0 })!.status, 422);
      assert.equal(gate.stats.refused, 3);
    });

    it("gives the usage log a chance to write what waits (flushDue) at each admission, refusals included", async () => {
      const { gate } = harness();
      const usage = gate.usage as MemoryUsageSink & { flushDue?: () => void };
      let calls = 0;
      usage.flushDue = () => void (calls += 1);
      (await gate.admit({ key: KEY, endpoint: "/api/v1/verify" })).ticket!.release(); // caches the key
      assert.equal(calls, 1, "admit() too");
      gate.admitNow({ key: KEY, endpoint: "/api/v1/verify" })!.ticket!.release();
      gate.admitNow({ key: null, endpoint: "/api/v1/verify" });
      assert.equal(calls, 3);
    });

    it("keeps a first request's refusals ahead of the chain read, as before the read was shared", async () => {
      const { gate, balances } = harness();
      balances.delete(TEAM);
      const a = await gate.admit({ key: KEY, userId: "mallory", endpoint: "/api/v1/verify" });
      assert.equal(a.error, "not_a_member");
      assert.equal(balances.followCalls, 0, "a refusal that needs no chain state reads none");
    });
  });

  describe("options", () => {
    it("requires the three sources and rejects malformed values", () => {
      const { keys, balances, usage } = harness();
      assert.throws(() => createGate({ keys, balances } as unknown as GateOptions), TypeError);
      assert.throws(() => createGate({ keys, balances, usage, keyRefreshMs: 0 }), /keyRefreshMs/);
      assert.throws(() => createGate({ keys, balances, usage, maxUnits: 1.5 }), /maxUnits/);
      assert.throws(
        () => createGate({ keys, balances, usage, onChainUnavailable: "maybe" as "deny" }),
        /onChainUnavailable/,
      );
      assert.throws(() => createGate({ keys, balances, usage, staleAllowance: -1n }), /staleAllowance/);
      assert.throws(() => createGate({ keys, balances, usage, rateLimits: [] }), /rateLimits/);
      assert.throws(() => createGate({ keys, balances, usage, periodEdgeMs: -1 }), /periodEdgeMs must be a non-negative integer/);
    });

    it("defaults to deny on stale chain data and the per-tier limits", () => {
      const { keys, balances, usage } = harness();
      const g = createGate({ keys, balances, usage });
      assert.equal(g.options.onChainUnavailable, "deny");
      assert.equal(g.options.keyRefreshMs, 30_000);
      assert.equal(g.options.rateLimits[0]!.burst, 40);
    });
  });
});

describe("request header parsing", () => {
  const from = (h: Record<string, string>) => (name: string) => h[name] ?? null;

  it("reads the key from Authorization: Bearer, else X-API-Key", () => {
    assert.equal(apiKeyFrom(from({ authorization: "Bearer pk_a" })), "pk_a");
    assert.equal(apiKeyFrom(from({ authorization: "bearer   pk_a " })), "pk_a");
    assert.equal(apiKeyFrom(from({ "x-api-key": " pk_b " })), "pk_b");
    assert.equal(apiKeyFrom(from({ authorization: "Basic xyz", "x-api-key": "pk_b" })), "pk_b");
    assert.equal(apiKeyFrom(from({ authorization: "Bearer" })), null);
    assert.equal(apiKeyFrom(from({})), null);
  });

  it("reads X-User-ID, treating blank as absent", () => {
    assert.equal(userIdFrom(from({ "x-user-id": "alice" })), "alice");
    assert.equal(userIdFrom(from({ "x-user-id": "  " })), null);
    assert.equal(userIdFrom(from({})), null);
  });
});
