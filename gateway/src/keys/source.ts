// Where the gate learns what an API key may do. Production fills it from the ledger (resolveApiKey);
// tests and the in-memory default use MemoryKeySource.

/** A team member the key may act for (`X-User-ID`). Amounts in USDC base units (1 USDC = 1_000_000). */
export interface MemberGrant {
  /** Spending allowed this period, or null for no per-member limit (Owner/Admin-set budget). */
  readonly allocation: bigint | null;
  /** Spending already recorded in the ledger this period for this member. */
  readonly allocationUsed: bigint;
}

/** What the ledger knows about one API key (looked up by the sha256 hex of the presented key). */
export interface KeyRecord {
  /** Ledger team id: the key of usage records and rollups. */
  readonly teamId: string;
  /** On-chain TeamBillingAccount address (base58): balances are followed by it. Null until the team has one. */
  readonly team: string | null;
  /** On-chain team vault token account (base58): where a top-up goes. Null until the team has one. */
  readonly vault: string | null;
  /** True once the key was revoked: such a key gets 401. */
  readonly revoked: boolean;
  /** Members by user id. */
  readonly members: ReadonlyMap<string, MemberGrant>;
}

/** Revocations after a cursor, so the cache can drop revoked keys without re-resolving every key. */
export interface RevocationPage {
  /** sha256 hex of each key revoked since the cursor that was passed. */
  readonly keyHashes: readonly string[];
  /** Cursor to pass next time (opaque to the cache; e.g. the ledger's time of the last revocation seen). */
  readonly cursor: string;
}

export interface KeySource {
  /** The record of a key by its sha256 hex, or null when no such key exists. Throws when the source is unreachable. */
  resolve(keyHash: string): Promise<KeyRecord | null>;
  /**
   * Optional: keys revoked after `cursor` (null = from now on, returning only a cursor). Without it the
   * cache re-resolves every cached key each revocation interval.
   */
  revokedSince?(cursor: string | null): Promise<RevocationPage>;
  /**
   * Optional: records that a key was used at `atMs` (clock ms), e.g. the ledger's "last used". Called from
   * the cache's background poll only, at most once per `touchIntervalMs` per cached key.
   */
  touch?(keyHash: string, atMs: number): Promise<void>;
}

/** In-memory KeySource for tests and single-process use. Counts lookups so tests can see caching. */
export class MemoryKeySource implements KeySource {
  private readonly records = new Map<string, KeyRecord>();
  private readonly revocations: string[] = [];
  /** Number of resolve() calls served. */
  resolveCalls = 0;
  /** When set, every call throws it (simulates the ledger being unreachable). */
  failWith: Error | null = null;
  /** Last use recorded per key hash (clock ms), and how many touch() calls were served. */
  readonly lastUsed = new Map<string, number>();
  touchCalls = 0;

  set(keyHash: string, record: KeyRecord): void {
    this.records.set(keyHash, record);
  }

  revoke(keyHash: string): void {
    const r = this.records.get(keyHash);
    if (r === undefined) throw new Error(`unknown key hash ${keyHash}`);
    this.records.set(keyHash, { ...r, revoked: true });
    this.revocations.push(keyHash);
  }

  async resolve(keyHash: string): Promise<KeyRecord | null> {
    if (this.failWith) throw this.failWith;
    this.resolveCalls += 1;
    return this.records.get(keyHash) ?? null;
  }

  async revokedSince(cursor: string | null): Promise<RevocationPage> {
    if (this.failWith) throw this.failWith;
    const from = cursor === null ? this.revocations.length : Number(cursor);
    return { keyHashes: this.revocations.slice(from), cursor: String(this.revocations.length) };
  }

  async touch(keyHash: string, atMs: number): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.touchCalls += 1;
    this.lastUsed.set(keyHash, atMs);
  }
}

/** A source without revokedSince: exercises the cache's re-resolve fallback. */
export class ResolveOnlyKeySource implements KeySource {
  constructor(private readonly inner: MemoryKeySource) {}
  resolve(keyHash: string): Promise<KeyRecord | null> {
    return this.inner.resolve(keyHash);
  }
}
