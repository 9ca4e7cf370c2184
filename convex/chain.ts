// Chain history and balances: the indexer (a server) ingests program events and balance snapshots;
// Owners and Admins read the balance.
import { v } from "convex/values";
import { mutation, query } from "./_generated/server";
import { requireServer, requireTeamAccess } from "./model/auth";
import { balanceView, ingestEvents, resolveChainTeam, syncTeamBalance } from "./model/chain";
import { chainEventInput } from "./model/chainEventShapes";
import { actorAuth, serverAuth } from "./model/validators";

/**
 * Stores program events once each (unique by signature, instruction index and event index) and applies
 * them to balances, tiers, batches and alerts. Events of a team the ledger does not know are stored
 * unlinked. At most 500 events per call.
 */
export const ingestChainEvents = mutation({
  args: { auth: serverAuth, events: v.array(chainEventInput) },
  handler: async (ctx, { auth, events }) => {
    requireServer(auth);
    return await ingestEvents(ctx, events);
  },
});

/**
 * A snapshot of the team account and vault read at `slot` (by teamId or chainTeam). Ignored when older
 * than what the ledger has (`applied: false`).
 */
export const syncBalance = mutation({
  args: {
    auth: serverAuth,
    teamId: v.optional(v.id("teams")),
    chainTeam: v.optional(v.string()),
    slot: v.number(),
    vaultBalance: v.int64(),
    unpaidBaseFee: v.int64(),
    unpaidOverage: v.int64(),
    pendingWithdrawal: v.int64(),
    withdrawalUnlockAt: v.number(),
    tier: v.number(),
    status: v.number(),
    periodStart: v.number(),
    periodEnd: v.number(),
    periodRequests: v.int64(),
  },
  handler: async (ctx, { auth, teamId, chainTeam, ...snapshot }) => {
    requireServer(auth);
    const team = await resolveChainTeam(ctx, { teamId, chainTeam });
    return { applied: await syncTeamBalance(ctx, team, snapshot) };
  },
});

/** The team's last known balance (null before any chain data). Owner and Admin. */
export const getBalance = query({
  args: { auth: actorAuth, teamId: v.id("teams") },
  handler: async (ctx, { auth, teamId }) => {
    await requireTeamAccess(ctx, auth, teamId, "viewUsage");
    return await balanceView(ctx, teamId);
  },
});
