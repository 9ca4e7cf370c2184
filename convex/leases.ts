// Balance leases: gateway instances (server calls) renew and release their shares of a team's funds, in
// basis points; the protocol and the split are in model/leases.ts.
import { v } from "convex/values";
import { mutation, query } from "./_generated/server";
import { requireServer } from "./model/auth";
import { leaseReport, listLeases, releaseLeases, renewLeases } from "./model/leases";
import { serverAuth } from "./model/validators";

/**
 * Renews `instance`'s leases of 1 to 500 teams for `ttlMs` (1_000 to 600_000 ms) with what it reports
 * per team (`usingBps`, `floorBps`, `demand`), and answers per team, in the order of `teams`, `bps` (the
 * share it holds), `targetBps` (the share to move to, ≤ bps) and `expiresAtMs`; `nowMs` is the ledger's
 * clock, unix milliseconds.
 */
export const renew = mutation({
  args: { auth: serverAuth, instance: v.string(), ttlMs: v.number(), teams: v.array(leaseReport) },
  handler: async (ctx, { auth, instance, ttlMs, teams }) => {
    requireServer(auth);
    return await renewLeases(ctx, instance, ttlMs, teams);
  },
});

/** Deletes `instance`'s leases, all of them or those of `teams` (1 to 500 addresses); `released` counts them. */
export const release = mutation({
  args: { auth: serverAuth, instance: v.string(), teams: v.optional(v.array(v.string())) },
  handler: async (ctx, { auth, instance, teams }) => {
    requireServer(auth);
    return await releaseLeases(ctx, instance, teams);
  },
});

/** A team's leases (by chain account address), sorted by instance, each with whether it is live now. */
export const list = query({
  args: { auth: serverAuth, team: v.string() },
  handler: async (ctx, { auth, team }) => {
    requireServer(auth);
    return await listLeases(ctx, team);
  },
});
