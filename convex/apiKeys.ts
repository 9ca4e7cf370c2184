// API keys: Owners create and revoke; Owners and Admins list prefixes; servers resolve by hash.
import { v } from "convex/values";
import { mutation, query } from "./_generated/server";
import { createKey, listKeys, resolveKey, revokedSince as revokedSinceCursor, revokeKey, touchKey } from "./model/apiKeys";
import { requireServer, requireTeamAccess } from "./model/auth";
import { actorAuth, serverAuth } from "./model/validators";

/** Creates a key; the plaintext `key` is in this response only. Owner only. */
export const create = mutation({
  args: { auth: actorAuth, teamId: v.id("teams"), name: v.string() },
  handler: async (ctx, { auth, teamId, name }) => {
    const { wallet } = await requireTeamAccess(ctx, auth, teamId, "manageKeys");
    return await createKey(ctx, teamId, wallet, name);
  },
});

/** The team's keys, newest first, by display prefix only. Owner and Admin. */
export const list = query({
  args: { auth: actorAuth, teamId: v.id("teams") },
  handler: async (ctx, { auth, teamId }) => {
    await requireTeamAccess(ctx, auth, teamId, "viewTeamAdmin");
    return await listKeys(ctx, teamId);
  },
});

/** Revokes a key (revoking a revoked key changes nothing). Owner only. */
export const revoke = mutation({
  args: { auth: actorAuth, teamId: v.id("teams"), keyId: v.id("apiKeys") },
  handler: async (ctx, { auth, teamId, keyId }) => {
    const { wallet } = await requireTeamAccess(ctx, auth, teamId, "manageKeys");
    return await revokeKey(ctx, teamId, wallet, keyId);
  },
});

/** For the gateway: sha256 (hex) of a presented key → team, tier, vault, members, allocations; null if unknown. */
export const resolveApiKey = query({
  args: { auth: serverAuth, keyHash: v.string() },
  handler: async (ctx, { auth, keyHash }) => {
    requireServer(auth);
    return await resolveKey(ctx, keyHash);
  },
});

/** For the gateway: records that a key was used at `atMs`; writes at most once a minute per key. */
export const touchApiKey = mutation({
  args: { auth: serverAuth, keyHash: v.string(), atMs: v.number() },
  handler: async (ctx, { auth, keyHash, atMs }) => {
    requireServer(auth);
    return { updated: await touchKey(ctx, keyHash, atMs) };
  },
});

/**
 * For the gateway's key cache: sha256 hashes of keys revoked since `cursor` (null: start now), and the next
 * cursor. Hashes may repeat across calls; treat the feed as "mark these revoked".
 */
export const revokedSince = query({
  args: { auth: serverAuth, cursor: v.union(v.string(), v.null()) },
  handler: async (ctx, { auth, cursor }) => {
    requireServer(auth);
    return await revokedSinceCursor(ctx, cursor);
  },
});
