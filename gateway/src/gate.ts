// The gate: decides, in memory, whether a paid request may be served, and reserves its cost.
//
//   admit({ key, userId, endpoint, units })
//     key        → 401 missing / invalid / revoked          (key cache; the source is asked only on a miss)
//     X-User-ID  → 403 not a member
//     units      → 422 invalid_request
//     chain      → 402 team_account_missing, 503 chain_unavailable (first sight, unreachable)
//     rate       → 429 + Retry-After                         (token bucket of the team's tier)
//     staleness  → 503 chain_unavailable (deny) or a bounded allowance (allow-up-to)
//     price      → 402 spend_cap_reached                     (SDK pricing mirror)
//     balance    → 402 insufficient_balance + PAYMENT-REQUIRED (leased shares: 503 balance_lease_unavailable
//                  while the team's funds would pay and only this instance's share is short)
//     allocation → 402 member_allocation_exhausted
//     reserve    → ok, with a ticket: commit() appends the usage entry (before the response is sent),
//                  release() gives the reservation back when the request was not served.
//
// A normal "no" is a result, never an exception. Nothing on this path calls the network once the key
// and the team are cached.
import { TokenBucketLimiter, type RateDecision } from "./ratelimit/token-bucket";
import { KeyCache, KeySourceUnavailableError, type CachedKey } from "./keys/cache";
import type { KeyRecord } from "./keys/source";
import { FULL_SHARE_BPS, othersPart, TeamBook } from "./balance/team-book";
import { availableBalance, chargedPeriodEnd, shareBasis, shareNeeded, spentInPeriod, spentOfPeriod, type PeriodSpend, type UncountedBatch } from "./balance/shares";
import { periodAfterRoll } from "./pricing";
import type { TeamChainState } from "./balance/source";
import { MemberSpend } from "./members/spend";
import { priceRequest } from "./pricing";
import { encodePaymentRequired } from "./payment-required";
import { REFUSALS, REFUSAL_MESSAGES, type RefusalCode } from "./errors";
import { resolveGateOptions, type GateOptions, type ResolvedGateOptions } from "./options";
import type { UsageEntry } from "./usage/sink";
import type { EntryList, SealedBatch } from "./usage/log";
import { Ticket, type GateCore } from "./ticket";
import { BillingMathError } from "../../sdk/src/errors";

/** What the usage log holds unsettled (UsageLog implements it). */
export interface UnsettledUsage {
  teamsWithUsage(): string[];
  pending(team: string): EntryList;
  openBatch(team: string): SealedBatch | null;
  /** Teams with spend counted this instance (balance/shares.ts), and that spend. */
  teamsWithSpend(): string[];
  spendOf(team: string): { spent: PeriodSpend | null; uncounted: readonly UncountedBatch[] };
}

export const HEADER = {
  requestId: "X-Request-Id",
  limit: "X-RateLimit-Limit",
  remaining: "X-RateLimit-Remaining",
  reset: "X-RateLimit-Reset",
  retryAfter: "Retry-After",
  cost: "X-Billing-Cost",
  available: "X-Billing-Available",
  paymentRequired: "PAYMENT-REQUIRED",
} as const;

/**
 * An endpoint name as the ledger stores it in usage records and rollups: 1 to 64 printable ASCII
 * characters without spaces (members' user ids follow the same rule in the ledger).
 */
export const ENDPOINT_PATTERN = /^[\x21-\x7e]{1,64}$/;

export interface AdmitInput {
  /** The API key as presented (see keyFromHeaders); null or empty when none was sent. */
  key: string | null | undefined;
  /** X-User-ID, when present. */
  userId?: string | null;
  /** Endpoint billed, e.g. "/api/v1/verify" (1 to 64 printable ASCII characters, no spaces). */
  endpoint: string;
  /** Requests this call counts as (a batch endpoint charges N). Default 1. */
  units?: number | bigint;
}

/** JSON body of a refusal. Amounts are USDC base units as decimal strings (u64 exceeds JSON numbers). */
export interface RefusalBody {
  error: RefusalCode;
  message: string;
  [field: string]: string;
}

export interface Admission {
  /** True when the request may be served: then `ticket` is set. */
  readonly ok: boolean;
  /** 200 when ok, else the refusal's HTTP status. */
  readonly status: number;
  readonly error: RefusalCode | null;
  /** Price of the request, base units (0 when refused before pricing). */
  readonly cost: bigint;
  /** Available balance after this request's reservation (ok) or before it (402); null when not computed. */
  readonly available: bigint | null;
  /** Rate limit: bucket size, whole requests left, unix ms when full again (0s when not reached). */
  readonly limit: number;
  readonly remaining: number;
  readonly reset: number;
  readonly requestId: string;
  /** Headers to put on the response, refusal or not. */
  readonly headers: Readonly<Record<string, string>>;
  /** JSON body to send on refusal; null when ok. */
  readonly body: RefusalBody | null;
  readonly ticket: Ticket | null;
}

/** Counters since the gate was created. */
export interface GateStats {
  /** Admissions that returned ok. */
  admitted: number;
  /** Admissions refused (any status). */
  refused: number;
  /** Usage entries committed to the log: requests served and billed. */
  committed: number;
  /** Reservations given back (not served). */
  released: number;
}

/** X-RateLimit-Limit (the bucket size), -Remaining and -Reset (seconds until the bucket is full) of `rate`. */
function setRateLimitHeaders(headers: Record<string, string>, rate: RateDecision): void {
  headers[HEADER.limit] = String(rate.limit);
  headers[HEADER.remaining] = String(rate.remaining);
  headers[HEADER.reset] = String(Math.ceil(rate.resetAfterMs / 1000));
}

/** A refusal; one made once the rate limiter ran (`rate` given) carries its X-RateLimit-* headers. */
function refusal(
  code: RefusalCode,
  requestId: string,
  headers: Record<string, string>,
  extra: Record<string, string> = {},
  rate?: RateDecision,
  cost = 0n,
  available: bigint | null = null,
): Admission {
  if (rate !== undefined && headers[HEADER.limit] === undefined) setRateLimitHeaders(headers, rate);
  return {
    ok: false,
    status: REFUSALS[code],
    error: code,
    cost,
    available,
    limit: rate?.limit ?? 0,
    remaining: rate?.remaining ?? 0,
    reset: rate?.reset ?? 0,
    requestId,
    headers,
    body: { error: code, message: REFUSAL_MESSAGES[code], ...extra },
    ticket: null,
  };
}

/** decideWith's answer when the team's chain state must be read first (admit() does, admitNow() cannot). */
const NEEDS_CHAIN_READ = Symbol("needs chain read");
/** decideWith's answer when the instance holds no lease of the team yet (GateOptions.leases): admit() gets one. */
const NEEDS_LEASE = Symbol("needs lease");

/** The deposit that raises an instance's share of the funds by `needed` (the whole of it for a lone instance). */
function depositFor(needed: bigint, shareBps: number): bigint {
  if (shareBps === FULL_SHARE_BPS) return needed;
  const share = BigInt(shareBps);
  return (needed * BigInt(FULL_SHARE_BPS) + share - 1n) / share;
}

/** 1 as one shared bigint: most requests count one unit, and their usage entries live until settled. */
const ONE = 1n;

function parseUnits(units: number | bigint | undefined, max: number): bigint | null {
  if (units === undefined || units === 1) return ONE;
  if (typeof units === "bigint") return units >= 1n && units <= BigInt(max) ? units : null;
  return Number.isInteger(units) && units >= 1 && units <= max ? BigInt(units) : null;
}

export class Gate implements GateCore {
  readonly options: ResolvedGateOptions;
  readonly keys: KeyCache;
  readonly usage: ResolvedGateOptions["usage"];
  readonly members = new MemberSpend();
  readonly stats: GateStats = { admitted: 0, refused: 0, committed: 0, released: 0 };
  private readonly limiter: TokenBucketLimiter;
  private readonly books = new Map<string, TeamBook>();
  /** The last price computed (see decideWith). */
  private lastCost = 0n;
  /** GateOptions.periodEdgeMs in whole seconds (pricing.ts). */
  private readonly periodEdgeSec: number;
  /**
   * How long before a period's end its next base fee counts as due, s: baseFeeHorizonMs, and at least
   * periodEdgeMs (a chain clock ahead of the gate's rolls the period, and takes the fee, that much earlier).
   */
  private readonly feeHorizonSec: number;
  /**
   * The latest chain clock the settler read (unix s; see noteChainClock): the chain's time is at least this.
   * Tells the period's end as the settler's rolls do, when a team's state was read before it.
   */
  private chainClockFloorSec = 0;

  constructor(options: GateOptions) {
    this.options = resolveGateOptions(options);
    const o = this.options;
    this.periodEdgeSec = Math.ceil(o.periodEdgeMs / 1000);
    this.feeHorizonSec = Math.ceil(Math.max(o.baseFeeHorizonMs, o.periodEdgeMs) / 1000);
    this.usage = o.usage;
    this.limiter = new TokenBucketLimiter(o.now);
    this.keys = new KeyCache(o.keys, {
      refreshMs: o.keyRefreshMs,
      revocationCheckMs: o.revocationCheckMs,
      unknownKeyTtlMs: o.unknownKeyTtlMs,
      maxEntries: o.maxCachedKeys,
      maxPendingLookups: o.maxPendingKeyLookups,
      now: o.now,
    });
  }

  /** Starts background work (key refresh and revocation poll). Timers are unref'd. */
  start(): void {
    this.keys.start();
  }

  close(): void {
    this.keys.stop();
  }

  /** The reservation book of a team (the settler seals batches in it); undefined before its first request. */
  book(team: string): TeamBook | undefined {
    return this.books.get(team);
  }

  /**
   * The team's chain state in its book, read (the team followed) when the book has none: the settler prices
   * a batch from it. A team served only before a restart has a book (restore) but no state until its next
   * request. Null when the team has no account on chain.
   */
  async observeTeam(team: string): Promise<TeamChainState | null> {
    const book = this.bookOf(team);
    if (book.state !== undefined) return book.state;
    const balances = this.options.balances;
    const seen = balances.peek(team); // null: followed, no account
    const state = seen !== undefined ? seen : await balances.follow(team);
    if (state !== null) book.observe(state);
    return state;
  }

  /**
   * The chain's clock as the settler just read it, unix s: it decides by this reading whether a batch goes out
   * with the period's roll, so the gate's periods (pricing, lease reports) are never behind it. Between
   * polls a team's state only estimates the chain's clock (TeamChainState.chainClockOffsetMs); were the
   * estimate behind the reading at a period's end, a batch sent with the roll, charged in the new period,
   * would be reported under the old one, and the ledger would drop its hold once the new period is reported.
   */
  noteChainClock(nowSec: number): void {
    if (Number.isSafeInteger(nowSec) && nowSec > this.chainClockFloorSec) this.chainClockFloorSec = nowSec;
  }

  /** The chain's unix time (s) at this machine's `nowMs`: by the offset `s` was read with, and never before the settler's last reading. */
  private chainSecondsOf(s: TeamChainState, nowMs: number): number {
    const estimate = Math.floor((nowMs + s.chainClockOffsetMs) / 1000);
    return estimate > this.chainClockFloorSec ? estimate : this.chainClockFloorSec;
  }

  /** The settler sealed served requests of a team into batch `seq`: their reservation now waits for that batch. */
  sealReservation(team: string, seq: bigint, units: bigint, cost: bigint): void {
    this.bookOf(team).seal(seq, units, cost);
  }

  /** The settler gave batch `seq` back unsent: its requests are unbatched again (see TeamBook.unseal). */
  unsealReservation(team: string, seq: bigint, units: bigint, cost: bigint): void {
    this.bookOf(team).unseal(seq, units, cost);
  }

  /** The last endpoint that passed the check: a route's requests name the same one, checked once. */
  private lastEndpoint: string | null = null;

  private validEndpoint(endpoint: unknown): boolean {
    if (typeof endpoint !== "string" || !ENDPOINT_PATTERN.test(endpoint)) return false;
    this.lastEndpoint = endpoint;
    return true;
  }

  private bookOf(team: string): TeamBook {
    let b = this.books.get(team);
    if (b === undefined) {
      b = new TeamBook();
      // Spend is what shares are taken against: it outlives the process in the usage log.
      const usage = this.usage;
      if (usage.noteSpend !== undefined) b.onSpend = (spent) => usage.noteSpend!(team, spent);
      this.books.set(team, b);
    }
    return b;
  }

  async admit(input: AdmitInput): Promise<Admission> {
    this.usage.flushDue?.(); // as in admitNow: embedders that only call admit() hold responses no longer
    const a = await this.decide(input);
    if (a.ok) this.stats.admitted += 1;
    else this.stats.refused += 1;
    return a;
  }

  /**
   * The same decision as admit(), made synchronously when it needs nothing from the network (the key and
   * its team are cached: every request after a key's first); undefined when admit() must be awaited. Saves
   * the hot path a promise and a turn of the microtask queue.
   */
  admitNow(input: AdmitInput): Admission | undefined {
    this.usage.flushDue?.(); // responses held for their usage line's write do not wait out this whole turn
    const presented = input.key;
    const cached = presented ? this.keys.get(presented) : undefined;
    if (presented && cached === undefined) return undefined;
    const a = this.decideWith(input, cached, this.options.requestId());
    if (a === NEEDS_CHAIN_READ || a === NEEDS_LEASE) return undefined;
    if (a.ok) this.stats.admitted += 1;
    else this.stats.refused += 1;
    return a;
  }

  private async decide(input: AdmitInput): Promise<Admission> {
    const o = this.options;
    const requestId = o.requestId();
    const presented = input.key;
    let cached: CachedKey | undefined = presented ? this.keys.get(presented) : undefined;
    if (presented && cached === undefined) {
      try {
        cached = await this.keys.load(presented);
      } catch (err) {
        if (err instanceof KeySourceUnavailableError) {
          return refusal("key_service_unavailable", requestId, { [HEADER.requestId]: requestId, [HEADER.retryAfter]: "1" });
        }
        throw err;
      }
    }
    let decided = this.decideWith(input, cached, requestId);
    let state: TeamChainState | null | undefined;
    if (decided === NEEDS_CHAIN_READ) {
      // First sight of the team: one chain read (shared by every request waiting for it), then decide again.
      try {
        state = await o.balances.follow(cached!.record!.team!);
      } catch (err) {
        return refusal("chain_unavailable", requestId, { [HEADER.requestId]: requestId, [HEADER.retryAfter]: "1" }, {
          detail: `chain read failed: ${err instanceof Error ? err.message : String(err)}`,
        });
      }
      decided = this.decideWith(input, cached, requestId, state);
    }
    if (decided === NEEDS_LEASE) {
      // First sight of the team with leased shares: one renewal that includes it (shared likewise).
      try {
        await o.leases!.acquire(cached!.record!.team!);
        decided = this.decideWith(input, cached, requestId, state);
      } catch (err) {
        return refusal("balance_lease_unavailable", requestId, { [HEADER.requestId]: requestId, [HEADER.retryAfter]: "1" }, {
          detail: `no balance lease: ${err instanceof Error ? err.message : String(err)}`,
        });
      }
    }
    if (decided === NEEDS_CHAIN_READ || decided === NEEDS_LEASE) {
      // Not reached (the state was read and the lease granted above); a lease lost meanwhile is retried.
      return refusal("balance_lease_unavailable", requestId, { [HEADER.requestId]: requestId, [HEADER.retryAfter]: "1" });
    }
    return decided;
  }

  /**
   * The share of `team` this instance holds in use, bps: the least it may be asked down to under leases
   * (balance/leases.ts). The largest of what its spend this period and its reservations take of the common
   * basis G (balance/shares.ts), of the period's included requests while some remain on chain, and of the
   * spend cap while it is not reached on chain.
   */
  leaseFloorBps(team: string): number {
    const s = this.latestOf(team);
    return s === undefined ? 0 : this.shareTaken(this.books.get(team)!, s, true);
  }

  /**
   * What `team`'s lease reports of this instance's spend (balance/leases.ts): the share its settled spend this
   * period and its batches in flight take (part of leaseFloorBps, kept by the ledger after a release: a batch
   * sealed may be on chain before the next report, see Settler beforeSend), the end of the period they are
   * charged in (unix s; once the period has ended, the next one's: shares.ts chargedPeriodEnd) and whether
   * anything is still reserved.
   */
  leaseSpend(team: string): { spentBps: number; periodEnd: number; reserved: boolean } | null {
    const s = this.latestOf(team);
    if (s === undefined) return null;
    const book = this.books.get(team)!;
    const nowSec = this.chainSecondsOf(s, this.options.now());
    return {
      spentBps: this.shareTaken(book, s, false),
      periodEnd: chargedPeriodEnd(s, nowSec),
      reserved: book.reservedCharged !== 0n || book.reservedUnits !== 0n,
    };
  }

  /** The team's book brought up to the latest chain state, and that state; undefined without either. */
  private latestOf(team: string): TeamChainState | undefined {
    const book = this.books.get(team);
    if (book === undefined) return undefined;
    // The latest chain state ends the reservations of batches it shows settled (requests observe it too, but
    // an idle team's book would keep them until its next request).
    const latest = this.options.balances.peek(team);
    if (latest) book.observe(latest);
    return book.state;
  }

  /**
   * leaseFloorBps of the spend this period and of the reservations (`reserved`), or of the spend and the batches
   * in flight, a part of the reservations (not `reserved`).
   */
  private shareTaken(book: TeamBook, s: TeamChainState, reserved: boolean): number {
    const nowSec = this.chainSecondsOf(s, this.options.now());
    const spent = spentInPeriod(book.spent, s, nowSec);
    const held = reserved ? { units: book.reservedUnits, charged: book.reservedCharged } : book.sealed;
    const charged = spent.charged + held.charged;
    const units = spent.units + held.units;
    if (charged === 0n && units === 0n) return 0;
    let floor = shareNeeded(charged, shareBasis(s, nowSec, this.feeHorizonSec));
    // Once the chain has counted all the included requests (or reached the cap) no instance prices against
    // its part of them any more: that part then holds nothing back.
    const period = periodAfterRoll(s, nowSec >= s.periodEnd);
    const terms = s.tiers[period.tier];
    if (terms !== undefined && period.periodRequests < terms.includedRequests) {
      floor = Math.max(floor, shareNeeded(units < terms.includedRequests ? units : terms.includedRequests, terms.includedRequests));
    }
    if (s.spendCap > 0n && period.periodOverageSpend < s.spendCap) {
      floor = Math.max(floor, shareNeeded(charged < s.spendCap ? charged : s.spendCap, s.spendCap));
    }
    return floor;
  }

  /**
   * The decision once the key is resolved (`cached` undefined only when none was presented). NEEDS_CHAIN_READ
   * when the team is not followed yet and `followed` (its state as just read) was not given; NEEDS_LEASE when
   * shares are leased and this instance holds none of the team yet.
   */
  private decideWith(input: AdmitInput, cached: CachedKey | undefined, requestId: string, followed?: TeamChainState | null): Admission | typeof NEEDS_CHAIN_READ | typeof NEEDS_LEASE {
    const o = this.options;
    const headers: Record<string, string> = { [HEADER.requestId]: requestId };

    // 1. Key: one Map lookup when cached.
    if (cached === undefined) return refusal("missing_api_key", requestId, headers);
    const record: KeyRecord | null = cached.record;
    if (record === null) return refusal("invalid_api_key", requestId, headers);
    if (record.revoked) return refusal("revoked_api_key", requestId, headers);
    this.keys.noteUse(cached); // "last used": queued in memory, sent by the background poll

    // 2. Member.
    const userId = input.userId === undefined || input.userId === null || input.userId === "" ? null : input.userId;
    const grant = userId === null ? undefined : record.members.get(userId);
    if (userId !== null && grant === undefined) return refusal("not_a_member", requestId, headers);

    // 3. Input.
    const units = parseUnits(input.units, o.maxUnits);
    if (units === null) {
      return refusal("invalid_request", requestId, headers, {
        detail: `units must be an integer from 1 to ${o.maxUnits}`,
      });
    }
    if (input.endpoint !== this.lastEndpoint && !this.validEndpoint(input.endpoint)) {
      return refusal("invalid_request", requestId, headers, {
        detail: "endpoint must be 1 to 64 printable ASCII characters without spaces",
      });
    }

    // 4. Chain state: in memory once followed.
    if (record.team === null) return refusal("team_account_missing", requestId, headers);
    const team = record.team;
    let state: TeamChainState | null | undefined = followed !== undefined ? followed : o.balances.peek(team);
    if (state === undefined) return NEEDS_CHAIN_READ;
    if (state === null) {
      return refusal("team_account_missing", requestId, headers, { team, vault: record.vault ?? "" });
    }
    const book = this.bookOf(team);
    book.observe(state);
    state = book.state as TeamChainState;
    // This instance's part of the team's funds, bps: leased, or the fixed instanceShareBps.
    const share = o.leases === null ? o.instanceShareBps : o.leases.share(team);
    if (share === undefined) return NEEDS_LEASE;

    // 5. Rate limit of the team's tier (an unknown tier gets the last, most generous, limit).
    const now = o.now();
    const limit = o.rateLimits[state.tier] ?? o.rateLimits[o.rateLimits.length - 1]!;
    const rate = this.limiter.take(team, limit);
    if (o.rateLimitHeaders === "always") setRateLimitHeaders(headers, rate);
    if (!rate.ok) {
      headers[HEADER.retryAfter] = String(Math.max(1, Math.ceil(rate.retryAfterMs / 1000)));
      return refusal("rate_limited", requestId, headers, {}, rate);
    }

    // 6. Staleness of chain data.
    const stale = now - state.observedAtMs > o.maxChainStalenessMs;
    if (stale && o.onChainUnavailable === "deny") {
      headers[HEADER.retryAfter] = "1";
      const age = now - state.observedAtMs;
      return refusal("chain_unavailable", requestId, headers, { detail: `chain data is ${age} ms old (bound ${o.maxChainStalenessMs} ms)` }, rate);
    }
    if (!stale) book.staleCharged = 0n;

    // 7. Price (SDK mirror), on top of everything reserved before (and, with a share, spent this period).
    // Periods by the chain's clock, as the settler rolls them (balance/source.ts chainClockOffsetMs).
    const nowSec = this.chainSecondsOf(state, now);
    const spent = share === FULL_SHARE_BPS ? undefined : spentInPeriod(book.spent, state, nowSec);
    let price;
    try {
      const spentOfThis = share === FULL_SHARE_BPS ? undefined : spentOfPeriod(book.spent, state);
      price = priceRequest(state, book.reservedUnits, book.reservedCharged, units, nowSec, share, spentOfThis, this.periodEdgeSec);
    } catch (err) {
      if (err instanceof BillingMathError) {
        return refusal("invalid_request", requestId, headers, { detail: err.message }, rate);
      }
      throw err;
    }
    // Requests of a team mostly cost the same: entries share one bigint (they live until settled, ~1–2 s).
    const cost = price.cost === this.lastCost ? this.lastCost : (this.lastCost = price.cost);
    headers[HEADER.cost] = cost.toString();
    if (price.waived > 0n) {
      return refusal(
        "spend_cap_reached",
        requestId,
        headers,
        { required: (cost + price.waived).toString(), spendCap: state.spendCap.toString() },
        rate,
        cost,
      );
    }
    // What a team may run up on stale data through this instance: its share of staleAllowance.
    if (stale && book.staleCharged + cost > (o.staleAllowance * BigInt(share)) / BigInt(FULL_SHARE_BPS)) {
      headers[HEADER.retryAfter] = "1";
      return refusal("chain_unavailable", requestId, headers, {}, rate, cost);
    }

    // 8. Balance.
    const horizonSec = this.feeHorizonSec;
    const available = availableBalance(state, book.reservedCharged, nowSec, horizonSec, share, spent?.charged);
    if (cost > available) {
      let shortfall: bigint;
      if (o.leases === null) {
        // A deposit reaches this instance in its share: ask for enough that its share covers the request.
        shortfall = depositFor(cost - available, share);
      } else {
        // Leased: the share moves to where requests are. While the team's funds would pay, only this
        // instance's share is short: retry shortly (the demand noted asks the ledger for more).
        const whole = availableBalance(state, book.reservedCharged, nowSec, horizonSec, FULL_SHARE_BPS);
        if (cost <= whole) {
          o.leases.noteDemand(team, Number(units));
          headers[HEADER.available] = available.toString();
          headers[HEADER.retryAfter] = "1";
          return refusal("balance_lease_unavailable", requestId, headers, { required: cost.toString(), available: available.toString() }, rate, cost, available);
        }
        shortfall = cost - whole;
      }
      headers[HEADER.available] = available.toString();
      headers[HEADER.paymentRequired] = encodePaymentRequired({
        version: 1,
        action: "deposit",
        network: o.network,
        instruction: "deposit_funds",
        team: state.team,
        vault: state.vault,
        mint: state.mint,
        amount: shortfall.toString(),
      });
      return refusal(
        "insufficient_balance",
        requestId,
        headers,
        { required: cost.toString(), available: available.toString(), vault: state.vault, mint: state.mint },
        rate,
        cost,
        available,
      );
    }

    // 9. Member allocation.
    if (grant !== undefined && grant.allocation !== null) {
      const spent = this.members.spent(record.teamId, userId as string, grant, cached.fetchedAt);
      // With a share below the whole, the other instances' part of what remains of the allocation counts as used.
      const allowed = grant.allocation - othersPart(grant.allocation - grant.allocationUsed, share);
      if (spent + cost > allowed) {
        return refusal(
          "member_allocation_exhausted",
          requestId,
          headers,
          { required: cost.toString(), allocation: grant.allocation.toString(), used: spent.toString() },
          rate,
          cost,
          available,
        );
      }
    }

    // 10. Reserve.
    book.reserve(units, cost);
    if (o.leases !== null) o.leases.noteDemand(team, Number(units));
    if (stale) book.staleCharged += cost;
    if (userId !== null) this.members.add(record.teamId, userId, cost);
    const after = available - cost;
    headers[HEADER.available] = after.toString();
    const entry: UsageEntry = {
      requestId,
      teamId: record.teamId,
      team,
      userId,
      endpoint: input.endpoint,
      units,
      cost,
      timestampMs: now,
    };
    return {
      ok: true,
      status: 200,
      error: null,
      cost,
      available: after,
      limit: rate.limit,
      remaining: rate.remaining,
      reset: rate.reset,
      requestId,
      headers,
      body: null,
      ticket: new Ticket(this, entry),
    };
  }

  /**
   * After a restart: reserves again what the usage log holds unsettled (pending requests and each team's
   * open batch), so the gate does not spend it twice, and takes back the spend it counted this period (shares
   * are taken against it). Call before serving.
   */
  restore(log: UnsettledUsage): void {
    // Spend first: a replayed open batch the log's count already holds is then not counted again.
    for (const team of log.teamsWithSpend()) {
      const { spent, uncounted } = log.spendOf(team);
      this.bookOf(team).restoreSpend(spent, uncounted);
    }
    for (const team of log.teamsWithUsage()) {
      const book = this.bookOf(team);
      const open = log.openBatch(team);
      for (const list of open === null ? [log.pending(team)] : [open.entries, log.pending(team)]) {
        for (let i = 0; i < list.length; i++) {
          const cost = list.cost(i);
          book.reserve(list.units(i), cost);
          const userId = list.userId(i);
          if (userId !== null) this.members.add(list.teamId(i), userId, cost);
        }
      }
      if (open !== null) {
        let units = 0n;
        let cost = 0n;
        for (let i = 0; i < open.entries.length; i++) {
          units += open.entries.units(i);
          cost += open.entries.cost(i);
        }
        book.seal(open.seq, units, cost);
      }
    }
  }

  /** Gives back the reservation of an admitted request that was not served. */
  releaseEntry(entry: UsageEntry): void {
    this.bookOf(entry.team).release(entry.units, entry.cost);
    if (entry.userId !== null) this.members.release(entry.teamId, entry.userId, entry.cost);
  }
}

/** Creates a gate. See GateOptions for every option and its default. */
export function createGate(options: GateOptions): Gate {
  return new Gate(options);
}
