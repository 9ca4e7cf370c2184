// Usage batches: the gateway records, settles and fails them (server calls); Owners and Admins read a
// batch's leaf records to recompute its usage root.
import { v } from "convex/values";
import { mutation, query } from "./_generated/server";
import { requireActor, requireServer, requireTeamAccess } from "./model/auth";
import { batchRecordsPage, getBatchForRead, markFailed, markSettled, recordBatch } from "./model/usage";
import { actorAuth, serverAuth } from "./model/validators";
import { countWrites } from "./model/writeCounter";

/**
 * Records a batch once: a repeat with the same batchId and contents returns `duplicate: true` and writes
 * nothing; the same batchId with other contents is a conflict. `records` are 1 to 40 pages of 1 to 2,500
 * records each, every page one string of at most 1,000,000 bytes in the text form of model/usagePage.ts
 * (`encodePages` in model/usage.ts); their units must add up to `requestCount` and their costs to `amount`.
 * `writes` is the number of documents this call inserted or patched.
 */
export const recordUsageBatch = mutation({
  args: {
    auth: serverAuth,
    batchId: v.string(),
    teamId: v.id("teams"),
    batchSeq: v.int64(),
    requestCount: v.int64(),
    amount: v.int64(),
    usageRoot: v.string(),
    records: v.array(v.string()),
  },
  handler: async (ctx, { auth, ...input }) => {
    requireServer(auth);
    const counted = countWrites(ctx);
    const result = await recordBatch(counted.ctx, input);
    return { ...result, writes: counted.writes() };
  },
});

/** The batch's deduct_usage transaction confirmed (or reported BatchAlreadySettled). */
export const markBatchSettled = mutation({
  args: { auth: serverAuth, batchId: v.string(), signature: v.string() },
  handler: async (ctx, { auth, batchId, signature }) => {
    requireServer(auth);
    return await markSettled(ctx, batchId, signature);
  },
});

/** Settlement failed for a reason retrying will not fix; a later markBatchSettled still settles it. */
export const markBatchFailed = mutation({
  args: { auth: serverAuth, batchId: v.string(), reason: v.string() },
  handler: async (ctx, { auth, batchId, reason }) => {
    requireServer(auth);
    return await markFailed(ctx, batchId, reason);
  },
});

/** One page (default 0) of a batch's records with the batch's summary. Owner and Admin of its team. */
export const getBatchRecords = query({
  args: { auth: actorAuth, batchId: v.string(), page: v.optional(v.number()) },
  handler: async (ctx, { auth, batchId, page }) => {
    requireActor(auth);
    const batch = await getBatchForRead(ctx, batchId);
    await requireTeamAccess(ctx, auth, batch.teamId, "viewUsage");
    return await batchRecordsPage(ctx, batch, page ?? 0);
  },
});
