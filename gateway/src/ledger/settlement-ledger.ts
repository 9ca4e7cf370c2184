// The ledger calls of settlement (usage.recordUsageBatch, markBatchSettled, markBatchFailed) behind a small
// interface, so the settler can be exercised against the real ledger or an in-memory one.
import { api, ledgerErrorOf, type LedgerClient, type ScopedLedger } from "../../../ledger/client";
import { decodeUsagePage } from "../../../convex/model/usagePage";
import type { UsageRecord } from "../../../convex/model/validators";
import type { Id } from "../../../convex/_generated/dataModel";
import { pagesOf, type BatchRecords } from "../settle/batch-pages";

/** One usage record as the ledger stores it (units a safe integer, cost base units). */
export type LedgerUsageRecord = UsageRecord;

export interface BatchToRecord {
  /** Unique id of the batch: `<team address>:<batch_seq>`. */
  batchId: string;
  teamId: string;
  batchSeq: bigint;
  requestCount: bigint;
  /** Sum of the records' costs, base units. */
  amount: bigint;
  /** Usage-receipt Merkle root, 64 lower-case hex characters. */
  usageRoot: string;
  /**
   * The records: the settler hands over their columns and charges (the same ones the usage-receipt root
   * is computed from), and the ledger's side writes them as page texts (settle/batch-pages.ts); a batch
   * built by hand may give the page texts themselves.
   */
  records: BatchRecords;
}

/**
 * The ledger holds other records under this batch's id (`<team>:<batch_seq>`): another settler sealed and
 * recorded that batch_seq first, so it is that settler's to send, and this batch must take another.
 */
export class BatchConflictError extends Error {
  readonly code = "batch_conflict";
}

export interface SettlementLedger {
  /** Idempotent: recording the same batch again changes nothing. BatchConflictError when the id holds another batch. */
  recordBatch(batch: BatchToRecord): Promise<void>;
  markSettled(batchId: string, signature: string): Promise<void>;
  markFailed(batchId: string, reason: string): Promise<void>;
}

export class ConvexSettlementLedger implements SettlementLedger {
  constructor(
    private readonly ledger: LedgerClient,
    /** Sends recordUsageBatch (its records are large), e.g. from a worker thread (OffThreadMutations). Default the ledger client. */
    private readonly large: Pick<ScopedLedger, "mutation"> = ledger.server(),
  ) {}

  async recordBatch(b: BatchToRecord): Promise<void> {
    try {
      await this.record(b);
    } catch (err) {
      if (ledgerErrorOf(err)?.code === "conflict") throw new BatchConflictError(ledgerErrorOf(err)!.message);
      throw err;
    }
  }

  private async record(b: BatchToRecord): Promise<void> {
    await this.large.mutation(api.usage.recordUsageBatch, {
      batchId: b.batchId,
      // The ledger's team id came from resolveApiKey: a teams table id carried as a plain string.
      teamId: b.teamId as Id<"teams">,
      batchSeq: b.batchSeq,
      requestCount: b.requestCount,
      amount: b.amount,
      usageRoot: b.usageRoot,
      records: await pagesOf(b.records),
    });
  }

  async markSettled(batchId: string, signature: string): Promise<void> {
    await this.ledger.server().mutation(api.usage.markBatchSettled, { batchId, signature });
  }

  async markFailed(batchId: string, reason: string): Promise<void> {
    await this.ledger.server().mutation(api.usage.markBatchFailed, { batchId, reason });
  }
}

/** In-memory SettlementLedger for tests: keeps batches by id (their page texts, and the records decoded from them) and fails on demand. */
export class MemorySettlementLedger implements SettlementLedger {
  readonly batches = new Map<
    string,
    Omit<BatchToRecord, "records"> & { pages: string[]; records: LedgerUsageRecord[]; status: "pending" | "settled" | "failed"; signature?: string; reason?: string }
  >();
  failWith: Error | null = null;
  recordCalls = 0;

  async recordBatch(b: BatchToRecord): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.recordCalls += 1;
    const pages = await pagesOf(b.records); // refuses what the ledger would refuse
    const existing = this.batches.get(b.batchId);
    if (existing) {
      if (existing.usageRoot !== b.usageRoot || existing.amount !== b.amount || existing.requestCount !== b.requestCount) {
        throw new BatchConflictError(`batch ${b.batchId} was already recorded with different contents`);
      }
      return;
    }
    this.batches.set(b.batchId, { ...b, pages, records: pages.flatMap(decodeUsagePage), status: "pending" });
  }

  async markSettled(batchId: string, signature: string): Promise<void> {
    if (this.failWith) throw this.failWith;
    const b = this.batches.get(batchId);
    if (!b) throw new Error(`not_found: batch ${batchId}`);
    b.status = "settled";
    b.signature = signature;
  }

  async markFailed(batchId: string, reason: string): Promise<void> {
    if (this.failWith) throw this.failWith;
    const b = this.batches.get(batchId);
    if (!b) throw new Error(`not_found: batch ${batchId}`);
    if (b.status !== "settled") b.status = "failed";
    b.reason = reason;
  }
}
