// The chain's own transaction history. litesvm executes transactions but keeps no queryable history, so
// every transaction that lands is recorded here with what getTransaction, getSignatureStatuses and
// getSignaturesForAddress return: status, fee, balances before and after, logs, inner instructions.
import type { TxErrorJson } from "./errors";
import type { TransactionVersion, WireTransaction } from "./wire";

/** A token account's balance in a transaction's pre/post token balances (RPC shape, amounts as text). */
export interface TokenBalance {
  accountIndex: number;
  mint: string;
  owner: string;
  programId: string;
  uiTokenAmount: { amount: string; decimals: number; uiAmount: number; uiAmountString: string };
}

export interface InnerInstructionRecord {
  programIdIndex: number;
  accounts: number[];
  data: Uint8Array;
  stackHeight: number;
}

/** A landed transaction (succeeded, or failed while executing and paid its fee). */
export interface TxRecord {
  signature: string;
  wire: WireTransaction;
  version: TransactionVersion;
  slot: bigint;
  /** Unix seconds of the slot the transaction landed in. */
  blockTime: number;
  /** Position among all landed transactions, from 0. */
  sequence: number;
  err: TxErrorJson | null;
  /** Lamports. */
  fee: bigint;
  /** Every account the transaction loaded (static keys, then lookup-table writable, then readonly). */
  accountKeys: string[];
  writable: boolean[];
  signer: boolean[];
  fromLookup: boolean[];
  loadedAddresses: { writable: string[]; readonly: string[] };
  /** Lamports of each account in `accountKeys`, before and after. */
  preBalances: bigint[];
  postBalances: bigint[];
  preTokenBalances: TokenBalance[];
  postTokenBalances: TokenBalance[];
  logs: string[];
  innerInstructions: { index: number; instructions: InnerInstructionRecord[] }[];
  computeUnitsConsumed: bigint;
  returnData: { programId: string; data: Uint8Array } | null;
  memo: string | null;
}

/** Transactions by signature and, newest last, by every address they loaded. */
export class TransactionHistory {
  private readonly bySignature = new Map<string, TxRecord>();
  private readonly byAddress = new Map<string, TxRecord[]>();

  get size(): number {
    return this.bySignature.size;
  }

  add(record: TxRecord): void {
    this.bySignature.set(record.signature, record);
    for (const address of new Set(record.accountKeys)) {
      const list = this.byAddress.get(address);
      if (list) list.push(record);
      else this.byAddress.set(address, [record]);
    }
  }

  get(signature: string): TxRecord | undefined {
    return this.bySignature.get(signature);
  }

  has(signature: string): boolean {
    return this.bySignature.has(signature);
  }

  /**
   * Transactions that loaded `address`, newest first, strictly older than `before` and strictly newer
   * than `until` (signatures; an unknown `before` yields nothing, an unknown `until` is ignored), at most `limit`.
   */
  forAddress(address: string, options: { before?: string; until?: string; limit: number }): TxRecord[] {
    const list = this.byAddress.get(address) ?? [];
    let end = list.length;
    if (options.before !== undefined) {
      const before = this.bySignature.get(options.before);
      if (!before) return [];
      end = lowerBound(list, before.sequence);
    }
    let start = 0;
    if (options.until !== undefined) {
      const until = this.bySignature.get(options.until);
      if (until) start = lowerBound(list, until.sequence + 1);
    }
    const out: TxRecord[] = [];
    for (let i = end - 1; i >= start && out.length < options.limit; i--) out.push(list[i]);
    return out;
  }
}

/** First index in `list` (ordered by sequence) whose sequence is >= `sequence`. */
function lowerBound(list: readonly TxRecord[], sequence: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid].sequence < sequence) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
