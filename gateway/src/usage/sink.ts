// A served paid request, as appended to the usage log before its response is sent.
// The settler turns entries into the SDK's usage receipts (sdk/src/receipts.ts) when it forms a batch.
import type { PeriodSpend } from "../balance/shares";

export interface UsageEntry {
  /** Unique request id (the X-Request-Id header). */
  readonly requestId: string;
  /** Ledger team id. */
  readonly teamId: string;
  /** On-chain TeamBillingAccount address (base58). */
  readonly team: string;
  /** Member the request is attributed to (X-User-ID), or null when unattributed. */
  readonly userId: string | null;
  readonly endpoint: string;
  /** Requests this entry adds to deduct_usage's request_count. */
  readonly units: bigint;
  /** Cost reserved at admission, USDC base units. */
  readonly cost: bigint;
  /** Unix ms when the request was admitted. */
  readonly timestampMs: number;
}

/** Where served usage goes. `append` resolves only once the entry is durable (the durable log's contract). */
export interface UsageSink {
  append(entry: UsageEntry): Promise<void>;
  /** The same with a callback: `done(null)` once durable, `done(err)` when not written (the request path uses it when offered). */
  appendThen?(entry: UsageEntry, done: (err: unknown) => void): void;
  /** Called by the gate at each admission: a chance to write appended entries that have waited long enough (UsageLog.flushDue). */
  flushDue?(): void;
  /**
   * Keeps the gate's count of a team's settled spend this period (balance/shares.ts) with the usage, so a
   * restart takes it back (UsageLog). Written in the background: a count lost to a crash is taken from the
   * settled batches after it (never less than the truth).
   */
  noteSpend?(team: string, spent: PeriodSpend): void;
}

/** In-memory sink for tests: not durable. */
export class MemoryUsageSink implements UsageSink {
  readonly entries: UsageEntry[] = [];
  failWith: Error | null = null;
  async append(entry: UsageEntry): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.entries.push(entry);
  }
}
