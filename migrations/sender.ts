// Sending many transactions to any cluster and knowing each one landed: a window of transactions in flight,
// confirmation by polling getSignatureStatuses (no WebSocket needed, so any RPC URL works), and rounds:
// whatever has not landed when its blockhash expires is rebuilt with a fresh blockhash and sent again.
// Only idempotent transactions belong here (loader Writes, account creation checked beforehand): a resend
// must not do anything twice.
import {
  SendTransactionError,
  TransactionMessage,
  VersionedTransaction,
  type Connection,
  type Signer,
  type TransactionInstruction,
} from "@solana/web3.js";

export interface SendOptions {
  /** Transactions in flight at once; default 16. */
  concurrency?: number;
  /** Rounds (fresh blockhash each) before giving up; default 5. */
  rounds?: number;
  /** Milliseconds between status polls; default 250. */
  pollMs?: number;
  /** Progress lines. */
  log?: (line: string) => void;
  /** Runs before anything is sent (e.g. funding the payer only when there is something to pay for). */
  beforeSend?: () => Promise<void>;
}

/** One transaction to land: its instructions and signers (the first signer pays). */
export interface PlannedTransaction {
  instructions: TransactionInstruction[];
  signers: Signer[];
  /** What it is, for messages ("write 12/97"). */
  label: string;
}

export class TransactionFailedError extends Error {
  constructor(
    readonly label: string,
    readonly signature: string,
    readonly err: unknown,
    readonly logs: string[],
  ) {
    super(`${label} failed (${signature}): ${JSON.stringify(err)}${logs.length ? `\n  ${logs.join("\n  ")}` : ""}`);
    this.name = "TransactionFailedError";
  }
}

function build(plan: PlannedTransaction, blockhash: string): VersionedTransaction {
  // v0 messages keep instruction data as bytes (web3.js compiles legacy messages through base58, which is
  // quadratic in a Write's kilobyte of data); the loader sees the same instruction either way.
  const message = new TransactionMessage({ payerKey: plan.signers[0].publicKey, recentBlockhash: blockhash, instructions: plan.instructions }).compileToV0Message();
  const tx = new VersionedTransaction(message);
  tx.sign(plan.signers);
  return tx;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Lands every planned transaction (in any order) and returns their signatures in plan order. Throws
 * TransactionFailedError when one executes and fails (resending would fail again), or after `rounds`
 * expired blockhashes.
 */
export async function sendAll(connection: Connection, plans: readonly PlannedTransaction[], options: SendOptions = {}): Promise<string[]> {
  const concurrency = options.concurrency ?? 16;
  const rounds = options.rounds ?? 5;
  const pollMs = options.pollMs ?? 250;
  if (plans.length > 0) await options.beforeSend?.();
  const signatures: (string | null)[] = plans.map(() => null);
  let pending = plans.map((_, i) => i);

  for (let round = 1; pending.length > 0; round++) {
    if (round > rounds) throw new Error(`${pending.length} transaction(s) did not land after ${rounds} rounds (first: ${plans[pending[0]].label})`);
    if (round > 1) options.log?.(`round ${round}: resending ${pending.length} transaction(s) with a new blockhash`);
    const { blockhash, lastValidBlockHeight } = await connection.getLatestBlockhash("confirmed");
    const sent = new Map<number, string>();

    let next = 0;
    const worker = async () => {
      while (next < pending.length) {
        const index = pending[next++];
        const tx = build(plans[index], blockhash);
        try {
          sent.set(index, await connection.sendRawTransaction(tx.serialize(), { skipPreflight: false, preflightCommitment: "confirmed", maxRetries: 0 }));
        } catch (e) {
          // A preflight failure that is not about the blockhash is the transaction's own failure.
          const message = e instanceof Error ? e.message : String(e);
          if (/blockhash not found|block height exceeded/i.test(message)) continue;
          const logs = e instanceof SendTransactionError ? (e.logs ?? []) : [];
          throw new TransactionFailedError(plans[index].label, "(preflight)", message, logs);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, pending.length) }, worker));

    // Poll until every sent transaction has a status or the blockhash has expired; after expiry one more
    // poll, since a transaction may have landed between the last poll and the expiry.
    const waiting = new Map(sent);
    let expired = false;
    while (waiting.size > 0) {
      const entries = [...waiting.entries()];
      for (let i = 0; i < entries.length; i += 256) {
        const chunk = entries.slice(i, i + 256);
        const { value } = await connection.getSignatureStatuses(chunk.map(([, s]) => s), { searchTransactionHistory: true });
        for (let j = 0; j < chunk.length; j++) {
          const status = value[j];
          const [index, signature] = chunk[j];
          if (!status || (status.confirmationStatus !== "confirmed" && status.confirmationStatus !== "finalized")) continue;
          if (status.err) {
            const tx = await connection.getTransaction(signature, { commitment: "confirmed", maxSupportedTransactionVersion: 0 });
            throw new TransactionFailedError(plans[index].label, signature, status.err, tx?.meta?.logMessages ?? []);
          }
          signatures[index] = signature;
          waiting.delete(index);
        }
      }
      if (waiting.size === 0 || expired) break;
      expired = (await connection.getBlockHeight("confirmed")) > lastValidBlockHeight;
      if (!expired) await sleep(pollMs);
    }
    pending = pending.filter((i) => signatures[i] === null);
  }
  return signatures as string[];
}

/** Lands one transaction; returns its signature. */
export async function sendOne(connection: Connection, plan: PlannedTransaction, options: SendOptions = {}): Promise<string> {
  const [signature] = await sendAll(connection, [plan], options);
  return signature;
}

/**
 * Waits until `signature` is confirmed (polling, no WebSocket); throws when it failed or when the chain
 * passed `lastValidBlockHeight` without it.
 */
export async function confirmSignature(connection: Connection, signature: string, lastValidBlockHeight: number, pollMs = 250): Promise<void> {
  for (;;) {
    const { value } = await connection.getSignatureStatuses([signature], { searchTransactionHistory: true });
    const status = value[0];
    if (status && (status.confirmationStatus === "confirmed" || status.confirmationStatus === "finalized")) {
      if (status.err) throw new TransactionFailedError("transaction", signature, status.err, []);
      return;
    }
    if ((await connection.getBlockHeight("confirmed")) > lastValidBlockHeight) throw new Error(`${signature} expired before it was confirmed`);
    await sleep(pollMs);
  }
}
