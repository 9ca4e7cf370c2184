// The usage-receipt root of a batch given as ledger page texts (convex/model/usagePage.ts): the form the
// settler already builds for recordUsageBatch, so a batch is encoded once and crosses to the worker
// thread as a few strings (a copy) instead of thousands of objects (a structured clone).
import { hash } from "node:crypto";
import { receiptRecordOf, usageRoot, type Sha256, type UsageRecord } from "../../../sdk/src/receipts";
import { decodeUsagePage } from "../../../convex/model/usagePage";

/** One batch of one team, its records as page texts. */
export interface BatchPages {
  /** The team's TeamBillingAccount address (base58). */
  team: string;
  /** Its batch_seq (decimal string in messages to the worker: u64). */
  seq: bigint;
  pages: readonly string[];
}

/** Node's native sha256 (~10× the pure-JS one per leaf on this machine); the same digest. */
export const nodeSha256: Sha256 = (data) => hash("sha256", data, "buffer");

export function receiptRecords(batch: BatchPages): UsageRecord[] {
  const out: UsageRecord[] = [];
  for (const page of batch.pages) {
    for (const r of decodeUsagePage(page)) out.push(receiptRecordOf(batch.team, batch.seq, r));
  }
  return out;
}

/** The batch's usage root (sdk/src/receipts.ts), with Node's sha256. */
export function batchRoot(batch: BatchPages): Uint8Array {
  return usageRoot(receiptRecords(batch), { sha256: nodeSha256 });
}
