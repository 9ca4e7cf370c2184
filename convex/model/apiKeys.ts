// API keys: `pk_` + 192 random bits, shown once; the ledger keeps only sha256(key) and a display prefix.
import type { Doc, Id } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import { audit } from "./audit";
import { randomSecret, sha256Hex } from "./crypto";
import { ledgerError } from "./errors";
import { requireHex32, requireName } from "./format";
import { currentPeriodStart, memberPeriodUsage } from "./periods";
import { tierTerms } from "./tiers";

export const KEY_PREFIX = "pk_";
/** Characters of the key kept for display: "pk_" and the first 8 random characters. */
const DISPLAY_PREFIX_LENGTH = KEY_PREFIX.length + 8;
/** lastUsedAtMs is refreshed at most this often, so a busy key does not write on every touch. */
const TOUCH_INTERVAL_MS = 60_000;

export async function createKey(ctx: MutationCtx, teamId: Id<"teams">, creatorWallet: string, name: string) {
  const label = requireName(name, "key name");
  const key = randomSecret(KEY_PREFIX);
  const prefix = key.slice(0, DISPLAY_PREFIX_LENGTH);
  const keyId = await ctx.db.insert("apiKeys", {
    teamId,
    keyHash: await sha256Hex(key),
    prefix,
    name: label,
    creatorWallet,
    createdAtMs: Date.now(),
  });
  await audit(ctx, { teamId, actor: creatorWallet, action: "api_key.created", target: prefix, details: { name: label } });
  return { keyId, key, prefix };
}

export function keyView(key: Doc<"apiKeys">) {
  return {
    keyId: key._id,
    prefix: key.prefix,
    name: key.name,
    creatorWallet: key.creatorWallet,
    createdAtMs: key.createdAtMs,
    lastUsedAtMs: key.lastUsedAtMs ?? null,
    revoked: key.revokedAtMs !== undefined,
    revokedAtMs: key.revokedAtMs ?? null,
  };
}

export async function listKeys(ctx: QueryCtx, teamId: Id<"teams">) {
  const keys = await ctx.db
    .query("apiKeys")
    .withIndex("by_team", (q) => q.eq("teamId", teamId))
    .order("desc")
    .collect();
  return keys.map(keyView);
}

export async function revokeKey(ctx: MutationCtx, teamId: Id<"teams">, actor: string, keyId: Id<"apiKeys">) {
  const key = await ctx.db.get(keyId);
  if (key === null || key.teamId !== teamId) throw ledgerError("not_found", "API key not found in this team");
  if (key.revokedAtMs !== undefined) return keyView(key);
  const revokedAtMs = Date.now();
  await ctx.db.patch(key._id, { revokedAtMs });
  await audit(ctx, { teamId, actor, action: "api_key.revoked", target: key.prefix, details: { name: key.name } });
  return keyView({ ...key, revokedAtMs });
}

/**
 * What the gateway's key cache needs for one key hash: the team, its tier and vault, every member with
 * its allocation and allocation use in the current period, and whether the key is revoked. Null when no
 * key has this hash.
 */
export async function resolveKey(ctx: QueryCtx, keyHash: string) {
  requireHex32(keyHash, "keyHash");
  const key = await ctx.db
    .query("apiKeys")
    .withIndex("by_key_hash", (q) => q.eq("keyHash", keyHash))
    .unique();
  if (key === null) return null;
  const team = await ctx.db.get(key.teamId);
  if (team === null) return null;
  const nowMs = Date.now();
  const periodStart = await currentPeriodStart(ctx, team._id, nowMs);
  const used = await memberPeriodUsage(ctx, team._id, periodStart);
  const members = await ctx.db
    .query("members")
    .withIndex("by_team_user", (q) => q.eq("teamId", team._id))
    .collect();
  return {
    keyId: key._id,
    revoked: key.revokedAtMs !== undefined,
    teamId: team._id,
    teamName: team.name,
    ownerWallet: team.ownerWallet,
    chainTeam: team.chainTeam ?? null,
    vault: team.vault ?? null,
    tier: team.tier,
    tierName: tierTerms(team.tier).name,
    status: team.status,
    periodStart,
    members: members.map((m) => ({
      userId: m.userId,
      wallet: m.wallet,
      role: m.role,
      allocation: m.allocation ?? null,
      allocationUsed: used.get(m.userId)?.cost ?? 0n,
    })),
    resolvedAtMs: nowMs,
  };
}

export async function touchKey(ctx: MutationCtx, keyHash: string, atMs: number): Promise<boolean> {
  requireHex32(keyHash, "keyHash");
  const key = await ctx.db
    .query("apiKeys")
    .withIndex("by_key_hash", (q) => q.eq("keyHash", keyHash))
    .unique();
  if (key === null) throw ledgerError("not_found", "API key not found");
  const at = Math.min(atMs, Date.now());
  if (key.lastUsedAtMs !== undefined && at < key.lastUsedAtMs + TOUCH_INTERVAL_MS) return false;
  await ctx.db.patch(key._id, { lastUsedAtMs: at });
  return true;
}

/** Revocations listed per revokedSince call. */
export const REVOCATIONS_PER_PAGE = 1_000;
/**
 * How far before its cursor revokedSince looks again, in milliseconds: a revocation stamped at the start of
 * a mutation that committed after a poll had already moved past that time is still reported. Reporting a
 * revocation twice is harmless.
 */
export const REVOCATION_OVERLAP_MS = 10_000;

/**
 * The gateway's revocation feed: hashes of keys revoked at or after `cursor` (minus the overlap), and the
 * cursor to pass next. A null cursor starts the feed now: no hashes, just a cursor.
 */
export async function revokedSince(ctx: QueryCtx, cursor: string | null) {
  if (cursor === null) {
    const last = await ctx.db.query("apiKeys").withIndex("by_revoked_at").order("desc").first();
    return { keyHashes: [], cursor: String(Math.max(last?.revokedAtMs ?? 0, Date.now())) };
  }
  // "<ms>" looks back by the overlap; "<ms>+" (after a full page) continues exactly where the page ended.
  const match = /^(\d{1,16})(\+?)$/.exec(cursor);
  if (match === null) throw ledgerError("invalid_argument", "malformed revocation cursor");
  const at = Number(match[1]);
  const from = match[2] === "+" ? at : at - REVOCATION_OVERLAP_MS;
  const keys = await ctx.db
    .query("apiKeys")
    .withIndex("by_revoked_at", (q) => q.gte("revokedAtMs", from))
    .take(REVOCATIONS_PER_PAGE);
  const lastSeen = keys.length > 0 ? (keys[keys.length - 1].revokedAtMs ?? 0) : 0;
  const next = keys.length === REVOCATIONS_PER_PAGE ? `${lastSeen}+` : String(Math.max(at, lastSeen));
  return { keyHashes: keys.map((k) => k.keyHash), cursor: next };
}
