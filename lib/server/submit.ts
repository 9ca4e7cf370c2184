// Submission of transactions a user's wallet signed: the server checks that the transaction is what the
// dashboard asked the wallet to sign (paid and signed by the session's wallet, only the billing program
// and compute-budget instructions), sends it with preflight (so the program's refusal comes back with its
// logs before anything lands) and waits until it is confirmed.
import { ComputeBudgetProgram, PublicKey, Transaction } from "@solana/web3.js";
import { AppError, toAppError } from "../errors";
import { connection } from "./chain";

/** How long to wait for confirmation at most, ms (the blockhash's own expiry usually comes first). */
const CONFIRM_TIMEOUT_MS = 60_000;
const POLL_MS = 250;

export interface SubmitExpectation {
  /** The session's wallet: fee payer and a signer. */
  wallet: PublicKey;
  /** Programs the transaction may call besides the compute-budget program. */
  programIds: readonly PublicKey[];
}

/** Decodes and checks a signed transaction; AppError 422 when it is not one the dashboard built. */
export function checkSignedTransaction(base64: unknown, expect: SubmitExpectation): Transaction {
  if (typeof base64 !== "string" || base64.length === 0 || base64.length > 2048) {
    throw new AppError("invalid_argument", "The signed transaction is missing.", "transaction_missing");
  }
  let tx: Transaction;
  try {
    tx = Transaction.from(Buffer.from(base64, "base64"));
  } catch {
    throw new AppError("invalid_argument", "The signed transaction could not be read.", "transaction_malformed");
  }
  if (!tx.feePayer?.equals(expect.wallet)) {
    throw new AppError("forbidden", "The transaction is not paid by the wallet you signed in with.", "fee_payer_mismatch");
  }
  const allowed = [...expect.programIds, ComputeBudgetProgram.programId];
  if (tx.instructions.length === 0 || tx.instructions.some((ix) => !allowed.some((p) => p.equals(ix.programId)))) {
    throw new AppError("invalid_argument", "The transaction calls programs the dashboard does not submit for.", "program_not_allowed");
  }
  if (!tx.verifySignatures(true)) {
    throw new AppError("invalid_argument", "The transaction is not fully signed by the expected wallet.", "SignatureVerificationFailed");
  }
  return tx;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface Submitted {
  signature: string;
  slot: number;
}

/** Sends a checked transaction and resolves once it is confirmed; AppError with the chain's reason otherwise. */
export async function submitAndConfirm(tx: Transaction, lastValidBlockHeight?: number): Promise<Submitted> {
  const rpc = connection();
  let signature: string;
  try {
    signature = await rpc.sendRawTransaction(tx.serialize(), { skipPreflight: false, preflightCommitment: "confirmed", maxRetries: 5 });
  } catch (error) {
    throw toAppError(error, "chain");
  }
  const deadline = Date.now() + CONFIRM_TIMEOUT_MS;
  let polls = 0;
  for (;;) {
    let status;
    try {
      status = (await rpc.getSignatureStatuses([signature], { searchTransactionHistory: true })).value[0];
    } catch (error) {
      throw toAppError(error, "chain");
    }
    if (status?.err) {
      // Preflight normally catches refusals; a failure that landed anyway is explained by its logs.
      const landed = await rpc.getTransaction(signature, { commitment: "confirmed", maxSupportedTransactionVersion: 0 }).catch(() => null);
      throw toAppError({ message: JSON.stringify(status.err), logs: landed?.meta?.logMessages ?? [] }, "chain");
    }
    if (status && (status.confirmationStatus === "confirmed" || status.confirmationStatus === "finalized")) {
      return { signature, slot: status.slot };
    }
    if (Date.now() > deadline) throw new AppError("chain_unavailable", "The transaction was sent but not confirmed in time. Check the history before trying again.", "confirm_timeout");
    // Every 8 polls (≈2 s), stop early once the blockhash can no longer land.
    if (lastValidBlockHeight !== undefined && ++polls % 8 === 0) {
      const height = await rpc.getBlockHeight("confirmed").catch(() => 0);
      if (height > lastValidBlockHeight) throw new AppError("expired", "The transaction expired before it was confirmed. Please try again.", "BlockhashExpired");
    }
    await sleep(POLL_MS);
  }
}
