// API-key cache keyed by the key string as presented, so a hit costs one Map lookup and no hashing.
// Misses hash the key (sha256) and ask the KeySource once, even under concurrent requests for it.
// Entries are refreshed in the background once older than `refreshMs`; revocations are polled every
// `revocationCheckMs`, so a revoked key stops working within that interval (plus one source round trip).
// With a source that has a revocation feed (revokedSince) the poll asks the feed only; cached keys are
// re-resolved just when older than `refreshMs`. Key use ("last used") is noted in memory on the request path
// and sent to the source by the same background poll, so no request waits on it.
import { hashApiKey } from "./hash";
import type { KeyRecord, KeySource } from "./source";

export interface KeyCacheOptions {
  /** Age (ms) after which an entry is re-resolved in the background; the old entry serves meanwhile. */
  readonly refreshMs: number;
  /** Interval (ms) of the revocation poll. */
  readonly revocationCheckMs: number;
  /** How long (ms) an unknown key is remembered as unknown before the source is asked again. */
  readonly unknownKeyTtlMs: number;
  /** Most entries held; the oldest inserted is dropped first. */
  readonly maxEntries: number;
  /** Most source lookups in flight for keys not in the cache; beyond it a miss is refused as unavailable. */
  readonly maxPendingLookups: number;
  /** Clock in ms. */
  readonly now: () => number;
  /** Least time (ms) between two uses of one key reported to the source's touch(). Default 60_000. */
  readonly touchIntervalMs?: number;
}

/** The ledger records "last used" at most once a minute per key: reporting more often would be wasted calls. */
export const DEFAULT_TOUCH_INTERVAL_MS = 60_000;
/** Source calls in flight at once for background refreshes and touches: the source is a shared ledger. */
const BACKGROUND_WIDTH = 8;

export interface CachedKey {
  readonly presented: string;
  readonly hash: string;
  /** null: the source does not know this key. */
  record: KeyRecord | null;
  /** Clock ms at which the lookup that produced `record` started: the record is at least that fresh. */
  fetchedAt: number;
  refreshing: boolean;
  /** Clock ms of the last use queued for the source's touch() (-Infinity: none yet). */
  touchedAt: number;
}

/** The key source could not be reached for a key not in the cache. */
export class KeySourceUnavailableError extends Error {
  readonly code = "key_service_unavailable";
  constructor(readonly reason: unknown) {
    super(`API key source unavailable: ${reason instanceof Error ? reason.message : String(reason)}`);
  }
}

export class KeyCache {
  private readonly byPresented = new Map<string, CachedKey>();
  private readonly byHash = new Map<string, CachedKey>();
  private readonly pending = new Map<string, Promise<CachedKey>>();
  private revocationCursor: string | null = null;
  /** Uses waiting for the next poll: key hash → clock ms of the use. Bounded by maxEntries. */
  private readonly uses = new Map<string, number>();
  private readonly touchIntervalMs: number;
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;
  private flushing: Promise<void> | null = null;
  /** Last error met by a background refresh or revocation poll (null after a success). */
  lastBackgroundError: unknown = null;

  constructor(
    private readonly source: KeySource,
    private readonly opts: KeyCacheOptions,
  ) {
    this.touchIntervalMs = opts.touchIntervalMs ?? DEFAULT_TOUCH_INTERVAL_MS;
  }

  /** Synchronous hit path: the cached entry, or undefined when the source must be asked (then call load). */
  get(presented: string): CachedKey | undefined {
    const e = this.byPresented.get(presented);
    if (e === undefined) return undefined;
    const age = this.opts.now() - e.fetchedAt;
    if (e.record === null) {
      if (age < this.opts.unknownKeyTtlMs) return e;
      this.drop(e);
      return undefined;
    }
    if (age >= this.opts.refreshMs && !e.refreshing) void this.refresh(e);
    return e;
  }

  /**
   * Request path: notes that a known key was used. No source call here: at most once per touchIntervalMs per
   * key the use is queued, and the background poll sends it (a Map write at most, never awaited).
   */
  noteUse(e: CachedKey): void {
    if (this.source.touch === undefined || e.record === null) return;
    const now = this.opts.now();
    if (now - e.touchedAt < this.touchIntervalMs) return;
    if (this.uses.size >= this.opts.maxEntries && !this.uses.has(e.hash)) return; // the source is behind: drop
    e.touchedAt = now;
    this.uses.set(e.hash, now);
  }

  /** Miss path: hash the key and resolve it (one source call per key however many requests wait). */
  load(presented: string): Promise<CachedKey> {
    const inFlight = this.pending.get(presented);
    if (inFlight !== undefined) return inFlight;
    if (this.pending.size >= this.opts.maxPendingLookups) {
      return Promise.reject(new KeySourceUnavailableError("too many key lookups in flight"));
    }
    const p = this.fetch(presented).finally(() => this.pending.delete(presented));
    this.pending.set(presented, p);
    return p;
  }

  private async fetch(presented: string): Promise<CachedKey> {
    const hash = hashApiKey(presented);
    const startedAt = this.opts.now();
    let record: KeyRecord | null;
    try {
      record = await this.source.resolve(hash);
    } catch (err) {
      throw new KeySourceUnavailableError(err);
    }
    const entry: CachedKey = { presented, hash, record, fetchedAt: startedAt, refreshing: false, touchedAt: -Infinity };
    this.insert(entry);
    return entry;
  }

  private insert(entry: CachedKey): void {
    const old = this.byPresented.get(entry.presented);
    if (old !== undefined) this.drop(old);
    while (this.byPresented.size >= this.opts.maxEntries) {
      const oldest = this.byPresented.values().next().value as CachedKey;
      this.drop(oldest);
    }
    this.byPresented.set(entry.presented, entry);
    this.byHash.set(entry.hash, entry);
  }

  private drop(e: CachedKey): void {
    if (this.byPresented.get(e.presented) === e) this.byPresented.delete(e.presented);
    if (this.byHash.get(e.hash) === e) this.byHash.delete(e.hash);
  }

  /** Re-resolves one entry in place; on failure the old record keeps serving (see lastBackgroundError). */
  private async refresh(e: CachedKey): Promise<void> {
    e.refreshing = true;
    const startedAt = this.opts.now();
    try {
      const record = await this.source.resolve(e.hash);
      // Revocation is final: a lookup that started before a revocation was seen must not undo it.
      e.record = record !== null && e.record?.revoked === true ? { ...record, revoked: true } : record;
      e.fetchedAt = startedAt;
      this.lastBackgroundError = null;
    } catch (err) {
      this.lastBackgroundError = err;
    } finally {
      e.refreshing = false;
    }
  }

  /**
   * One revocation poll: with `revokedSince`, marks the listed keys revoked; without it (or before a
   * cursor exists, when revocations may have been missed) re-resolves every cached known key.
   * Also refreshes entries older than refreshMs, so refresh does not depend on traffic, and sends the queued
   * key uses to the source's touch(). The two run apart (each at most once at a time), so a backlog of uses
   * never delays the revocation check.
   */
  poll(): Promise<void> {
    if (this.polling === null) {
      this.polling = this.checkKeys().finally(() => {
        this.polling = null;
      });
    }
    if (this.flushing === null) {
      this.flushing = this.flushUses().finally(() => {
        this.flushing = null;
      });
    }
    return Promise.all([this.polling, this.flushing]).then(() => undefined);
  }

  private async checkKeys(): Promise<void> {
    const known = [...this.byHash.values()].filter((e) => e.record !== null);
    try {
      if (this.source.revokedSince !== undefined && this.revocationCursor !== null) {
        const page = await this.source.revokedSince(this.revocationCursor);
        for (const h of page.keyHashes) {
          const e = this.byHash.get(h);
          if (e !== undefined && e.record !== null) e.record = { ...e.record, revoked: true };
        }
        this.revocationCursor = page.cursor;
        const now = this.opts.now();
        await this.refreshAll(known.filter((e) => now - e.fetchedAt >= this.opts.refreshMs));
      } else {
        if (this.source.revokedSince !== undefined) {
          this.revocationCursor = (await this.source.revokedSince(null)).cursor;
        }
        await this.refreshAll(known);
      }
      this.lastBackgroundError = null;
    } catch (err) {
      this.lastBackgroundError = err;
    }
  }

  private async refreshAll(entries: CachedKey[]): Promise<void> {
    for (let i = 0; i < entries.length; i += BACKGROUND_WIDTH) {
      await Promise.all(entries.slice(i, i + BACKGROUND_WIDTH).filter((e) => !e.refreshing).map((e) => this.refresh(e)));
    }
  }

  /** Sends the queued uses, a few at a time; a use that fails is queued again for the next poll. */
  private async flushUses(): Promise<void> {
    const touch = this.source.touch?.bind(this.source);
    if (touch === undefined || this.uses.size === 0) return;
    const batch = [...this.uses];
    this.uses.clear();
    for (let i = 0; i < batch.length; i += BACKGROUND_WIDTH) {
      await Promise.all(
        batch.slice(i, i + BACKGROUND_WIDTH).map(async ([hash, at]) => {
          try {
            await touch(hash, at);
          } catch (err) {
            this.lastBackgroundError = err;
            if (!this.uses.has(hash) && this.uses.size < this.opts.maxEntries) this.uses.set(hash, at);
          }
        }),
      );
    }
  }

  /** Uses queued for the source's touch() and not sent yet. */
  get pendingUses(): number {
    return this.uses.size;
  }

  /** Starts the revocation/refresh timer (unref'd: it never keeps the process alive). */
  start(): void {
    if (this.timer !== null) return;
    void this.poll();
    this.timer = setInterval(() => void this.poll(), this.opts.revocationCheckMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** Number of cached entries (known and unknown keys). */
  get size(): number {
    return this.byPresented.size;
  }
}
