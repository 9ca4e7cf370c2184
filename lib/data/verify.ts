// "Verify" on a deduction: recompute the batch's usage root from the ledger's records (sdk receipts, the
// same Merkle tree the settler committed) and compare it with the root in the UsageDeducted event of the
// settling transaction, read back from chain.
import { PublicKey } from "@solana/web3.js";
import { parseEvents } from "../../sdk/src/events";
import { teamPda } from "../../sdk/src/pdas";
import { receiptRecordOf, toHex, usageRoot, type UsageRecord } from "../../sdk/src/receipts";
import type { TeamAccess } from "../auth/access";
import { serverEnv } from "../env";
import { AppError } from "../errors";
import { connection, fromChain } from "../server/chain";
import { api, fromLedger, ledger } from "../server/ledger";

export interface Verification {
  batchId: string;
  batchSeq: bigint;
  recordCount: number;
  requestCount: bigint;
  /** Recomputed from the ledger's records, hex. */
  recomputedRoot: string;
  /** What the ledger recorded for the batch, hex. */
  ledgerRoot: string;
  /** From the UsageDeducted event on chain, hex; null when the batch is not settled yet. */
  onChainRoot: string | null;
  signature: string | null;
  /** True when the recomputed root equals the on-chain one. */
  matches: boolean;
  status: string;
}

export async function verifyBatch(access: TeamAccess, batchId: string): Promise<Verification> {
  if (batchId.length === 0 || batchId.length > 200) throw new AppError("not_found", "There is no such batch.");
  const scoped = ledger().as(access.wallet);
  const first = await fromLedger(() => scoped.query(api.usage.getBatchRecords, { batchId }));
  if (first.teamId !== access.teamId) throw new AppError("not_found", "There is no such batch in this team.");
  const pages = [first];
  for (let page = 1; page < first.pageCount; page++) {
    pages.push(await fromLedger(() => scoped.query(api.usage.getBatchRecords, { batchId, page })));
  }
  const programId = serverEnv().programId;
  const team = access.team.chainTeam ?? teamPda(new PublicKey(access.team.ownerWallet), programId).address.toBase58();
  const records: UsageRecord[] = pages.flatMap((p) => p.records.map((r) => receiptRecordOf(team, first.batchSeq, r)));
  if (records.length === 0) throw new AppError("conflict", "The ledger holds no records for this batch, so there is nothing to recompute.", "no_records");
  const recomputedRoot = toHex(usageRoot(records));

  let onChainRoot: string | null = null;
  if (first.signature) {
    const tx = await fromChain(() => connection().getTransaction(first.signature as string, { commitment: "confirmed", maxSupportedTransactionVersion: 0 }));
    if (!tx) throw new AppError("chain_unavailable", "The settling transaction could not be found on this network.", "transaction_missing");
    const event = parseEvents(tx.meta?.logMessages ?? [], programId).find(
      (e) => e.name === "UsageDeducted" && e.data.team === team && e.data.batchSeq === first.batchSeq,
    );
    if (event && event.name === "UsageDeducted") onChainRoot = event.data.usageRoot.toLowerCase();
  }
  return {
    batchId,
    batchSeq: first.batchSeq,
    recordCount: records.length,
    requestCount: first.requestCount,
    recomputedRoot,
    ledgerRoot: first.usageRoot.toLowerCase(),
    onChainRoot,
    signature: first.signature,
    matches: onChainRoot !== null && onChainRoot === recomputedRoot,
    status: first.status,
  };
}
