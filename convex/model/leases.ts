// Balance leases: several gateway instances (each with its own usage log) may admit requests against one
// team's funds. Each instance admits against a share of those funds in basis points (bps, 10_000 = the
// whole); the ledger hands the shares out as leases so that the shares held for one team never add up to
// more than 10_000, and moves them to where the requests are.
//
// The protocol, per team, on every renewal of an instance (`leases.renew`):
// - The instance reports `usingBps` (the share it admits against now), `floorBps` (the share its
//   unsettled reservations still need) and `demand` (its requests in the last renewal window).
// - The ledger answers `bps` (the share the instance holds) and `targetBps` (the share it should hold:
//   its floor plus a part of the rest by demand).
// - The instance then admits against targetBps clamped to at least its current floor and at most `bps`,
//   and reports that as `usingBps` in its next renewal. Only then does the ledger free the difference
//   (`bps` falls to `usingBps`): a report is the instance's confirmation that it no longer uses the rest.
//   A report never raises `bps`; only grants do, and a grant takes only what no row of the team holds.
// So a share moves from one instance to another in two renewals (the holder's renewal that lowers its
// target, then the one that confirms it uses less, after which the receiver's next renewal takes it),
// and it is never granted to two instances at once: Σ bps over a team's rows ≤ 10_000 after every call.
//
// A lease not renewed within its ttl is expired: its instance may have crashed holding unsettled usage,
// so its bps stay held (out of every split) until that instance renews again after its restart, or
// `leases.release` releases its rows. Each renewal writes only the renewing instance's own row (and deletes
// rows that hold nothing any more), so renewals of different instances never write the same document.
//
// Shares are of a basis that stays put through the period (the gateway's balance/shares.ts): what an
// instance spent of it this period stays spent after it goes. So an instance also reports `spentBps` (the
// share its settled spend this period takes) and `periodEnd` (that period's end, unix seconds), and a
// release keeps a row that spent something as `released`, holding spentBps out of every split, until a
// renewal of the team reports a later period.
import { v, type Infer } from "convex/values";
import type { Doc } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import { ledgerError } from "./errors";
import { requireAddress, requireInteger } from "./format";

/** The whole of a team's funds, in basis points. */
export const TOTAL_BPS = 10_000;
/** Bounds of a lease's time to live, milliseconds: 1 second to 10 minutes. */
export const MIN_TTL_MS = 1_000;
export const MAX_TTL_MS = 600_000;
/** Teams one call may renew or release, so a call stays one bounded transaction. */
export const MAX_TEAMS_PER_CALL = 500;

/** A gateway instance's name (the gateway checks it too, balance/leases.ts). */
export const INSTANCE_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;

/** What an instance reports for one team at a renewal (see the protocol above). */
export const leaseReport = v.object({
  /** The team's chain account address (base58). */
  team: v.string(),
  /** Share it admits against now, bps. */
  usingBps: v.number(),
  /** Share its unsettled reservations need, bps (≤ usingBps). */
  floorBps: v.number(),
  /** Requests in the last renewal window. */
  demand: v.number(),
  /** Share its settled spend this period takes, bps (≤ floorBps); 0 when omitted. */
  spentBps: v.optional(v.number()),
  /**
   * End of the period the instance's spend is charged in (unix s): the current one's, or once that period has
   * ended and until the chain rolls it, the end of the period the roll starts. Omitted: no period is known yet.
   */
  periodEnd: v.optional(v.number()),
});
export type LeaseReport = Infer<typeof leaseReport>;

/** A gateway instance's name: 1–64 characters of A-Z a-z 0-9 . _ : - (a host name, a pod name, host:port). */
export function requireInstance(text: string): string {
  if (!INSTANCE_PATTERN.test(text)) {
    throw ledgerError("invalid_argument", "instance must be 1 to 64 characters of A-Z a-z 0-9 . _ : -");
  }
  return text;
}

/** Team addresses of one call: 1 to MAX_TEAMS_PER_CALL, none twice; `what(i)` names entry i in messages. */
function requireTeamList(teams: string[], what: (i: number) => string): string[] {
  if (teams.length === 0 || teams.length > MAX_TEAMS_PER_CALL) {
    throw ledgerError("invalid_argument", `teams must have 1 to ${MAX_TEAMS_PER_CALL} entries`);
  }
  const seen = new Set<string>();
  teams.forEach((team, i) => {
    requireAddress(team, what(i));
    if (seen.has(team)) throw ledgerError("invalid_argument", `${what(i)} (${team}) appears twice in teams`);
    seen.add(team);
  });
  return teams;
}

function requireReport(report: LeaseReport, i: number): LeaseReport {
  const usingBps = requireInteger(report.usingBps, `teams[${i}].usingBps`, 0, TOTAL_BPS);
  const floorBps = requireInteger(report.floorBps, `teams[${i}].floorBps`, 0, TOTAL_BPS);
  if (floorBps > usingBps) {
    throw ledgerError("invalid_argument", `teams[${i}].floorBps (${floorBps}) must not exceed usingBps (${usingBps})`);
  }
  const demand = requireInteger(report.demand, `teams[${i}].demand`, 0, Number.MAX_SAFE_INTEGER);
  const spentBps = requireInteger(report.spentBps ?? 0, `teams[${i}].spentBps`, 0, TOTAL_BPS);
  if (spentBps > floorBps) {
    throw ledgerError("invalid_argument", `teams[${i}].spentBps (${spentBps}) must not exceed floorBps (${floorBps})`);
  }
  const periodEnd = report.periodEnd === undefined ? undefined : requireInteger(report.periodEnd, `teams[${i}].periodEnd`, 0, Number.MAX_SAFE_INTEGER);
  return { team: report.team, usingBps, floorBps, demand, spentBps, periodEnd };
}

/** A live lease as the split sees it. */
export type LiveShare = { instance: string; floorBps: number; demand: number };

/**
 * Each live lease's target share of `poolBps` (bps): its floor, plus the rest (pool − Σ floors, never
 * below 0) split by weight demand + 1, so an idle instance still gets a sliver and a team with no demand
 * anywhere splits evenly. Parts are rounded down; the bps the rounding leaves go to the greatest weight
 * (ties: the lexicographically smallest instance). Weights are bigint because demands are any safe
 * integer and their products with the rest would lose precision as numbers.
 */
export function leaseTargets(live: LiveShare[], poolBps: number): Map<string, number> {
  const floors = live.reduce((sum, row) => sum + row.floorBps, 0);
  const rest = BigInt(Math.max(0, poolBps - floors));
  const weights = live.map((row) => BigInt(row.demand) + 1n);
  const totalWeight = weights.reduce((sum, w) => sum + w, 0n);
  const targets = new Map<string, number>();
  let given = 0n;
  let heaviest = -1;
  live.forEach((row, i) => {
    const part = (rest * weights[i]) / totalWeight;
    given += part;
    targets.set(row.instance, row.floorBps + Number(part));
    if (
      heaviest < 0 ||
      weights[i] > weights[heaviest] ||
      (weights[i] === weights[heaviest] && row.instance < live[heaviest].instance)
    ) {
      heaviest = i;
    }
  });
  if (heaviest >= 0) {
    const instance = live[heaviest].instance;
    targets.set(instance, (targets.get(instance) ?? 0) + Number(rest - given));
  }
  return targets;
}

/** Applies one team's report of `instance` (steps in the protocol above) and writes its own row only. */
async function renewTeam(ctx: MutationCtx, instance: string, report: LeaseReport, nowMs: number, ttlMs: number) {
  const rows = await ctx.db
    .query("balanceLeases")
    .withIndex("by_team", (q) => q.eq("team", report.team))
    .collect();
  const stored = rows.find((row) => row.instance === instance) ?? null;
  let others = rows.filter((row) => row.instance !== instance);

  // A released row's spend was of its period: a later one owes it nothing.
  if (report.periodEnd !== undefined) {
    for (const row of others) {
      if (row.released === true && (row.periodEnd === undefined || row.periodEnd < report.periodEnd)) await ctx.db.delete(row._id);
    }
    others = others.filter((row) => !(row.released === true && (row.periodEnd === undefined || row.periodEnd < report.periodEnd!)));
  }

  // The report frees what the instance no longer uses; it never raises bps.
  let bps = Math.min(stored?.bps ?? 0, report.usingBps);
  const own = {
    instance,
    floorBps: Math.min(report.floorBps, bps),
    demand: report.demand,
  };
  const expiresAtMs = nowMs + ttlMs;

  // Released rows are held like expired ones.
  const expired = others.filter((row) => row.expiresAtMs < nowMs || row.released === true);
  const live = others.filter((row) => row.expiresAtMs >= nowMs && row.released !== true);
  // Expired leases keep their bps out of the split (their instance may hold unsettled usage); the ones
  // holding nothing are dropped so a crashed instance's rows do not pile up.
  for (const row of expired) if (row.bps === 0) await ctx.db.delete(row._id);
  const poolBps = TOTAL_BPS - expired.reduce((sum, row) => sum + row.bps, 0);
  const targets = leaseTargets([own, ...live], poolBps);
  const target = targets.get(instance) ?? 0;

  // Grow only into what no row of the team holds, so no share is ever granted twice.
  if (target > bps) {
    const held = bps + others.reduce((sum, row) => sum + row.bps, 0);
    bps += Math.max(0, Math.min(target - bps, TOTAL_BPS - held));
  }

  const fields = {
    bps,
    floorBps: own.floorBps,
    demand: own.demand,
    expiresAtMs,
    updatedAtMs: nowMs,
    spentBps: Math.min(report.spentBps ?? 0, own.floorBps),
    periodEnd: report.periodEnd,
    released: undefined,
  };
  if (stored === null) {
    await ctx.db.insert("balanceLeases", { team: report.team, instance, ...fields });
  } else {
    await ctx.db.patch(stored._id, fields);
  }
  return { team: report.team, bps, targetBps: Math.min(target, bps), expiresAtMs };
}

/**
 * Renews `instance`'s leases of the reported teams for `ttlMs` and answers, in the order of `teams`, the
 * share each may admit against (`bps`) and the share it should move to (`targetBps` ≤ bps).
 */
export async function renewLeases(ctx: MutationCtx, instanceArg: string, ttlMsArg: number, teamsArg: LeaseReport[]) {
  const instance = requireInstance(instanceArg);
  const ttlMs = requireInteger(ttlMsArg, "ttlMs", MIN_TTL_MS, MAX_TTL_MS);
  requireTeamList(
    teamsArg.map((report) => report.team),
    (i) => `teams[${i}].team`,
  );
  const reports = teamsArg.map(requireReport);
  const nowMs = Date.now();
  const leases = [];
  for (const report of reports) leases.push(await renewTeam(ctx, instance, report, nowMs, ttlMs));
  return { nowMs, leases };
}

/**
 * Releases `instance`'s leases (all of them, or those of `teams`), handing their bps back to the team: for
 * an instance shutting down after settling, or one that restarted and will not renew some teams. A lease
 * whose last renewal reported spend this period keeps that much (spentBps) as a released row until a
 * renewal of the team reports a later period (see the protocol above); the others are deleted.
 */
export async function releaseLeases(ctx: MutationCtx, instanceArg: string, teamsArg: string[] | undefined) {
  const instance = requireInstance(instanceArg);
  let rows: Doc<"balanceLeases">[];
  if (teamsArg === undefined) {
    rows = await ctx.db
      .query("balanceLeases")
      .withIndex("by_instance", (q) => q.eq("instance", instance))
      .collect();
  } else {
    rows = [];
    // An empty list is refused rather than read as "all": omitting `teams` says that.
    for (const team of requireTeamList(teamsArg, (i) => `teams[${i}]`)) {
      const row = await ctx.db
        .query("balanceLeases")
        .withIndex("by_team_instance", (q) => q.eq("team", team).eq("instance", instance))
        .unique();
      if (row !== null) rows.push(row);
    }
  }
  const nowMs = Date.now();
  for (const row of rows) {
    const spent = row.spentBps ?? 0;
    if (spent > 0 && row.periodEnd !== undefined) {
      await ctx.db.patch(row._id, { bps: spent, floorBps: spent, demand: 0, released: true, expiresAtMs: Math.min(row.expiresAtMs, nowMs), updatedAtMs: nowMs });
    } else {
      await ctx.db.delete(row._id);
    }
  }
  return { released: rows.length };
}

/** A team's leases by instance, with whether each is live (renewed within its ttl) now. */
export async function listLeases(ctx: QueryCtx, teamArg: string) {
  const team = requireAddress(teamArg, "team");
  const nowMs = Date.now();
  const rows = await ctx.db
    .query("balanceLeases")
    .withIndex("by_team_instance", (q) => q.eq("team", team))
    .collect();
  return rows.map((row) => ({
    instance: row.instance,
    bps: row.bps,
    floorBps: row.floorBps,
    demand: row.demand,
    expiresAtMs: row.expiresAtMs,
    updatedAtMs: row.updatedAtMs,
    spentBps: row.spentBps ?? 0,
    periodEnd: row.periodEnd ?? null,
    released: row.released === true,
    live: row.expiresAtMs >= nowMs && row.released !== true,
  }));
}
