// Usage batches: the gateway records each batch once (idempotent by batch id) before settling it on chain
// with deduct_usage, then marks it settled or failed. Recording stores the leaf records in pages (so anyone
// with access can recompute the usage root) and adds the batch to the rollups with one write per distinct
// day × endpoint × member bucket, one per team-day and one per member-period, never one per request.
import type { Doc, Id } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import { evaluateAllocationAlert } from "./alerts";
import { ledgerError } from "./errors";
import { addU64, base58Decode, requireHex32, requireInteger, requireU64, U64_MAX } from "./format";
import { getBalance, type PeriodGrid } from "./periods";
import { decodeUsagePage, encodeUsagePage, scanUsagePage, usagePageLineCount } from "./usagePage";
import { UsageTally } from "./usageTally";
import type { UsageRecord } from "./validators";

/**
 * Records per stored page: with every field at its cap a record's line (usagePage.ts) is at most 250
 * bytes, so a full page's text stays under 625 KB, inside Convex's 1 MiB document limit.
 */
export const RECORDS_PER_PAGE = 2_500;
/** Pages one batch may carry: 40 × 2,500 = 100,000 records. */
export const MAX_PAGES = 40;
/**
 * Longest page text recordUsageBatch accepts, in bytes (under Convex's 1 MiB = 1,048,576-byte document
 * limit, with room for the page document's other fields). A valid page never comes near it (see
 * RECORDS_PER_PAGE); it bounds the work an oversized text could cost before it is refused. Accepted
 * text is printable ASCII (usagePage.ts), so its length in characters is its length in bytes.
 */
export const MAX_PAGE_TEXT_BYTES = 1_000_000;

/** Splits records into pages of at most RECORDS_PER_PAGE. */
export function pageRecords<T>(records: readonly T[], size = RECORDS_PER_PAGE): T[][] {
  const pages: T[][] = [];
  for (let i = 0; i < records.length; i += size) pages.push(records.slice(i, i + size));
  return pages;
}

/** Records as the `records` argument of recordUsageBatch: pages of at most RECORDS_PER_PAGE, as text. */
export function encodePages(records: readonly UsageRecord[], size = RECORDS_PER_PAGE): string[] {
  return pageRecords(records, size).map((page) => encodeUsagePage(page));
}

export type RecordBatchInput = {
  batchId: string;
  teamId: Id<"teams">;
  batchSeq: bigint;
  requestCount: bigint;
  amount: bigint;
  usageRoot: string;
  /** Pages as text (encodePages). */
  records: string[];
};

export type RecordBatchResult = {
  batchId: string;
  status: Doc<"usageBatches">["status"];
  duplicate: boolean;
  buckets: number;
};

export function requireBatchId(batchId: string): string {
  if (batchId.length === 0 || batchId.length > 128 || !/^[\x21-\x7e]+$/.test(batchId)) {
    throw ledgerError("invalid_argument", "batchId must be 1 to 128 printable ASCII characters without spaces");
  }
  return batchId;
}

/** A transaction signature: base58 of 64 bytes. */
export function requireSignature(signature: string): string {
  const bytes = signature.length >= 64 && signature.length <= 88 ? base58Decode(signature) : null;
  if (bytes === null || bytes.length !== 64) throw ledgerError("invalid_argument", "signature is not a transaction signature");
  return signature;
}

/**
 * Reads every page once into a tally (usageTally.ts) and checks the batch: page and record counts, no
 * requestId twice, and the records' units and costs against requestCount and amount. Field rules are the
 * page reader's (usagePage.ts).
 */
function tallyRecords(input: RecordBatchInput, grid: PeriodGrid): UsageTally {
  if (input.records.length === 0 || input.records.length > MAX_PAGES) {
    throw ledgerError("invalid_argument", `records must come in 1 to ${MAX_PAGES} pages`);
  }
  const tally = new UsageTally(grid);
  for (const [index, text] of input.records.entries()) {
    if (text.length > MAX_PAGE_TEXT_BYTES) {
      throw ledgerError("invalid_argument", `page ${index} is ${text.length} characters; a page's text holds at most ${MAX_PAGE_TEXT_BYTES} bytes`);
    }
    const count = usagePageLineCount(text);
    if (count === 0 || count > RECORDS_PER_PAGE) {
      throw ledgerError("invalid_argument", `a page holds 1 to ${RECORDS_PER_PAGE} records (page ${index} has ${count})`);
    }
    scanUsagePage(text, tally);
  }
  const { units, cost } = tally.finish();
  if (units > U64_MAX || cost > U64_MAX) throw ledgerError("overflow", "amount exceeds the u64 range");
  // The chain prices request_count, so it must be exactly the units the records bill, and the batch
  // amount exactly what the records cost.
  if (units !== input.requestCount) throw ledgerError("invalid_argument", `requestCount ${input.requestCount} differs from the records' units ${units}`);
  if (cost !== input.amount) throw ledgerError("invalid_argument", `amount ${input.amount} differs from the records' cost ${cost}`);
  return tally;
}

type Totals = { requests: number; cost: bigint };

function addTo<K>(map: Map<K, Totals>, key: K, requests: number, cost: bigint): void {
  const totals = map.get(key);
  if (totals === undefined) map.set(key, { requests, cost });
  else {
    totals.requests += requests;
    totals.cost = addU64(totals.cost, cost);
  }
}

export async function recordBatch(ctx: MutationCtx, input: RecordBatchInput): Promise<RecordBatchResult> {
  const batchId = requireBatchId(input.batchId);
  requireU64(input.batchSeq, "batchSeq");
  if (input.batchSeq === 0n) throw ledgerError("invalid_argument", "batchSeq starts at 1");
  requireU64(input.requestCount, "requestCount");
  if (input.requestCount === 0n) throw ledgerError("invalid_argument", "requestCount must be at least 1");
  requireU64(input.amount, "amount");
  requireHex32(input.usageRoot, "usageRoot");

  const existing = await ctx.db
    .query("usageBatches")
    .withIndex("by_batch_id", (q) => q.eq("batchId", batchId))
    .unique();
  if (existing !== null) {
    const same =
      existing.teamId === input.teamId &&
      existing.batchSeq === input.batchSeq &&
      existing.requestCount === input.requestCount &&
      existing.amount === input.amount &&
      existing.usageRoot === input.usageRoot;
    if (!same) throw ledgerError("conflict", `batch ${batchId} was already recorded with different contents`);
    return { batchId, status: existing.status, duplicate: true, buckets: 0 };
  }
  const team = await ctx.db.get(input.teamId);
  if (team === null) throw ledgerError("not_found", "team not found");
  // The team's period grid places each record in its billing period (memberUsage).
  const grid = (await getBalance(ctx, team._id)) ?? {};
  const tally = tallyRecords(input, grid);
  const sameSeq = await ctx.db
    .query("usageBatches")
    .withIndex("by_team_seq", (q) => q.eq("teamId", team._id).eq("batchSeq", input.batchSeq))
    .first();
  if (sameSeq !== null) throw ledgerError("conflict", `batch_seq ${input.batchSeq} already belongs to batch ${sameSeq.batchId}`);

  const batch = await ctx.db.insert("usageBatches", {
    batchId,
    teamId: team._id,
    batchSeq: input.batchSeq,
    requestCount: input.requestCount,
    amount: input.amount,
    usageRoot: input.usageRoot,
    recordCount: tally.count,
    pageCount: input.records.length,
    status: "pending",
    recordedAtMs: Date.now(),
  });
  for (const [page, text] of input.records.entries()) {
    await ctx.db.insert("usageRecordPages", { batch, page, text });
  }

  // The tally's cells (day × period × endpoint × member) add into the three kinds of rollup, so each
  // rollup row is written once however many records fall in it.
  const buckets = new Map<string, Totals>();
  const days = new Map<string, Totals>();
  const memberPeriods = new Map<string, Totals>();
  for (const { day, periodStart, endpoint, userId, requests, cost } of tally.cells) {
    addTo(buckets, `${day} ${endpoint} ${userId}`, requests, cost);
    addTo(days, day, requests, cost);
    addTo(memberPeriods, `${periodStart} ${userId}`, requests, cost);
  }
  for (const [key, totals] of buckets) {
    const [day, endpoint, userId] = key.split(" ") as [string, string, string];
    const row = await ctx.db
      .query("usageRollups")
      .withIndex("by_bucket", (q) => q.eq("teamId", team._id).eq("day", day).eq("endpoint", endpoint).eq("userId", userId))
      .unique();
    if (row === null) await ctx.db.insert("usageRollups", { teamId: team._id, day, endpoint, userId, ...totals });
    else await ctx.db.patch(row._id, { requests: row.requests + totals.requests, cost: addU64(row.cost, totals.cost) });
  }
  for (const [day, totals] of days) {
    const row = await ctx.db
      .query("usageDaily")
      .withIndex("by_team_day", (q) => q.eq("teamId", team._id).eq("day", day))
      .unique();
    if (row === null) await ctx.db.insert("usageDaily", { teamId: team._id, day, ...totals });
    else await ctx.db.patch(row._id, { requests: row.requests + totals.requests, cost: addU64(row.cost, totals.cost) });
  }
  const touchedUsers = new Set<string>();
  for (const [key, totals] of memberPeriods) {
    const [start, userId] = key.split(" ") as [string, string];
    const periodStart = Number(start);
    touchedUsers.add(userId);
    const row = await ctx.db
      .query("memberUsage")
      .withIndex("by_team_period_user", (q) => q.eq("teamId", team._id).eq("periodStart", periodStart).eq("userId", userId))
      .unique();
    if (row === null) await ctx.db.insert("memberUsage", { teamId: team._id, userId, periodStart, ...totals });
    else await ctx.db.patch(row._id, { requests: row.requests + totals.requests, cost: addU64(row.cost, totals.cost) });
  }
  for (const userId of touchedUsers) {
    const member = await ctx.db
      .query("members")
      .withIndex("by_team_user", (q) => q.eq("teamId", team._id).eq("userId", userId))
      .unique();
    if (member?.allocation !== undefined) await evaluateAllocationAlert(ctx, team._id, userId, member.allocation);
  }
  return { batchId, status: "pending", duplicate: false, buckets: buckets.size };
}

async function batchOrThrow(ctx: QueryCtx, batchId: string): Promise<Doc<"usageBatches">> {
  const batch = await ctx.db
    .query("usageBatches")
    .withIndex("by_batch_id", (q) => q.eq("batchId", requireBatchId(batchId)))
    .unique();
  if (batch === null) throw ledgerError("not_found", `batch ${batchId} not found`);
  return batch;
}

export function batchView(batch: Doc<"usageBatches">) {
  return {
    batchId: batch.batchId,
    teamId: batch.teamId,
    batchSeq: batch.batchSeq,
    requestCount: batch.requestCount,
    amount: batch.amount,
    usageRoot: batch.usageRoot,
    recordCount: batch.recordCount,
    pageCount: batch.pageCount,
    status: batch.status,
    signature: batch.signature ?? null,
    failureReason: batch.failureReason ?? null,
    recordedAtMs: batch.recordedAtMs,
    settledAtMs: batch.settledAtMs ?? null,
  };
}

/** pending or failed → settled. Settling again with the same signature changes nothing. */
export async function markSettled(ctx: MutationCtx, batchId: string, signature: string) {
  requireSignature(signature);
  const batch = await batchOrThrow(ctx, batchId);
  if (batch.status === "settled") {
    if (batch.signature !== signature) throw ledgerError("conflict", `batch ${batchId} was settled by another transaction`);
    return batchView(batch);
  }
  const update = { status: "settled" as const, signature, settledAtMs: Date.now(), failureReason: undefined };
  await ctx.db.patch(batch._id, update);
  return batchView({ ...batch, ...update });
}

/** pending or failed → failed (the reason is replaced). A settled batch cannot fail. */
export async function markFailed(ctx: MutationCtx, batchId: string, reason: string) {
  const text = reason.trim();
  if (text.length === 0 || text.length > 500) throw ledgerError("invalid_argument", "reason must be 1 to 500 characters");
  const batch = await batchOrThrow(ctx, batchId);
  if (batch.status === "settled") throw ledgerError("conflict", `batch ${batchId} is already settled`);
  await ctx.db.patch(batch._id, { status: "failed", failureReason: text });
  return batchView({ ...batch, status: "failed", failureReason: text });
}

export async function getBatchForRead(ctx: QueryCtx, batchId: string): Promise<Doc<"usageBatches">> {
  return await batchOrThrow(ctx, batchId);
}

/** One page of a batch's leaf records, in the order they were recorded. */
export async function batchRecordsPage(ctx: QueryCtx, batch: Doc<"usageBatches">, page: number) {
  requireInteger(page, "page", 0, Math.max(0, batch.pageCount - 1));
  const row = await ctx.db
    .query("usageRecordPages")
    .withIndex("by_batch_page", (q) => q.eq("batch", batch._id).eq("page", page))
    .unique();
  return { ...batchView(batch), page, records: row === null ? [] : storedPageRecords(row) };
}

/** A stored page's records, whichever form it was stored in (schema: usageRecordPages). */
function storedPageRecords(row: Doc<"usageRecordPages">): UsageRecord[] {
  if (row.text !== undefined) return decodeUsagePage(row.text);
  return row.records ?? [];
}
