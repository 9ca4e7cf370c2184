// Argument and document shapes shared by the schema and the public functions.
// Units: every amount is USDC in base units (1 USDC = 1_000_000) as `v.int64()` (bigint); times the ledger
// stamps itself are unix milliseconds; times that come from the chain are unix seconds, as on chain.
import { v, type Infer } from "convex/values";

/** What every server call carries: the shared server secret and, for user actions, the acting wallet. */
export const serverAuth = v.object({ secret: v.string() });
export const actorAuth = v.object({ secret: v.string(), wallet: v.string() });
export type ActorAuth = Infer<typeof actorAuth>;

export const role = v.union(v.literal("owner"), v.literal("admin"), v.literal("member"));
export type Role = Infer<typeof role>;

/** Roles an invitation or a role change may grant: a team has exactly one Owner, its creator. */
export const grantableRole = v.union(v.literal("admin"), v.literal("member"));

/** Tier index as on chain: 0 Startup, 1 Growth, 2 Enterprise. */
export const tier = v.number();

export const teamStatus = v.union(v.literal("active"), v.literal("suspended"));

export const batchStatus = v.union(v.literal("pending"), v.literal("settled"), v.literal("failed"));

/**
 * One served request as the gateway logged it: the leaf of the batch's usage-root Merkle tree (together
 * with the batch's team and batch_seq). `units` are billable requests, `cost` the price of this request
 * in base units as the gateway priced it.
 */
export const usageRecord = v.object({
  requestId: v.string(),
  timestampMs: v.number(),
  endpoint: v.string(),
  userId: v.string(),
  units: v.number(),
  cost: v.int64(),
});
export type UsageRecord = Infer<typeof usageRecord>;

export const alertKind = v.union(
  v.literal("balance.warning"),
  v.literal("balance.critical"),
  v.literal("quota.80"),
  v.literal("quota.90"),
  v.literal("quota.100"),
  v.literal("allocation.exhausted"),
  v.literal("team.suspended"),
);
export type AlertKind = Infer<typeof alertKind>;

export const alertSeverity = v.union(v.literal("info"), v.literal("warning"), v.literal("critical"));

/** Values an audit entry may carry as details. */
export const auditValue = v.union(v.string(), v.number(), v.int64(), v.boolean(), v.null());
