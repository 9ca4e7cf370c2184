// Time on the local chain, kept in the runtime's sysvars: the slot and its wall-clock anchor, the Clock
// sysvar, one blockhash per slot (valid for 150 slots), the SlotHashes sysvar, and the runtime's own
// blockhash (which only seeds durable nonces). Everything is derived from the genesis hash and the slot,
// so a replay that sets the same slots sees the same sysvars and hashes.
import { createHash } from "node:crypto";
import { Clock, type LiteSVM } from "litesvm";
import { decodeBase58, encodeBase58 } from "./base58";

/** How long a slot lasts by default, milliseconds (as on mainnet). */
export const DEFAULT_SLOT_MS = 400;
/** A blockhash is valid for this many slots after the slot that produced it (MAX_PROCESSING_AGE). */
export const BLOCKHASH_VALIDITY_SLOTS = 150n;
/** Slots per epoch, without warm-up (epoch = slot / SLOTS_PER_EPOCH). */
export const SLOTS_PER_EPOCH = 432_000n;
/** Entries of the SlotHashes sysvar (as on a cluster). */
const SLOT_HASHES_ENTRIES = 512n;

function u64le(value: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(value);
  return b;
}

export class ChainClock {
  private slotNow = 0n;
  private seconds = 0n;
  private latestHash = "";
  /** Blockhash → the slot that produced it, for the last BLOCKHASH_VALIDITY_SLOTS slots. */
  private readonly blockhashes = new Map<string, bigint>();
  /** Blockhashes by slot, for the SlotHashes sysvar (bounded: the latest ~2 × 512 slots). */
  private readonly hashBySlot = new Map<bigint, string>();
  private slotHashesAt = -1n;
  /** The slot the runtime's own blockhash was last advanced for, and how many times it was. */
  private runtimeHashSlot = -1n;
  private runtimeHashes = 0;
  /** Wall-clock anchor of slot progression: slot `anchorSlot` began at `anchorMs`. */
  private anchorSlot = 0n;
  private anchorMs = 0;
  private readonly genesisBytes: Uint8Array;

  constructor(
    private readonly svm: LiteSVM,
    genesisHash: string,
    readonly slotMs: number,
    private readonly now: () => number,
  ) {
    if (!Number.isInteger(slotMs) || slotMs < 10) throw new RangeError(`slotMs must be an integer >= 10, got ${slotMs}`);
    this.genesisBytes = decodeBase58(genesisHash);
  }

  get slot(): bigint {
    return this.slotNow;
  }

  /** The Clock sysvar's unix timestamp, seconds. */
  get unixTimestamp(): bigint {
    return this.seconds;
  }

  get latestBlockhash(): { blockhash: string; lastValidBlockHeight: bigint } {
    return { blockhash: this.latestHash, lastValidBlockHeight: this.slotNow + BLOCKHASH_VALIDITY_SLOTS };
  }

  /** How many times the runtime's own blockhash has advanced (journaled with each transaction). */
  get runtimeBlockhashes(): number {
    return this.runtimeHashes;
  }

  /** Wall-clock unix seconds. */
  wallSeconds(): bigint {
    return BigInt(Math.floor(this.now() / 1000));
  }

  /** The slot wall time has reached since the anchor. */
  wallSlot(): bigint {
    const elapsed = Math.max(0, this.now() - this.anchorMs);
    return this.anchorSlot + BigInt(Math.floor(elapsed / this.slotMs));
  }

  /** Counts slots from `slot` at the current wall time (after a restart or replay). */
  anchor(slot: bigint): void {
    this.anchorSlot = slot;
    this.anchorMs = this.now();
  }

  /** Whether `blockhash` was produced within the last 150 slots. */
  isBlockhashValid(blockhash: string): boolean {
    const slot = this.blockhashes.get(blockhash);
    return slot !== undefined && this.slotNow - slot <= BLOCKHASH_VALIDITY_SLOTS;
  }

  /** The blockhash of `slot`: sha256 of the genesis hash and the slot, so it is the same after a restart. */
  blockhashOf(slot: bigint): string {
    const cached = this.hashBySlot.get(slot);
    if (cached !== undefined) return cached;
    const hash = encodeBase58(createHash("sha256").update("simnet blockhash").update(this.genesisBytes).update(u64le(slot)).digest());
    this.hashBySlot.set(slot, hash);
    if (this.hashBySlot.size > 2 * Number(SLOT_HASHES_ENTRIES)) {
      for (const key of this.hashBySlot.keys()) {
        if (this.hashBySlot.size <= Number(SLOT_HASHES_ENTRIES)) break;
        this.hashBySlot.delete(key);
      }
    }
    return hash;
  }

  /** Moves to `slot` at `unixTimestamp` (never backwards in time): Clock sysvar, latest blockhash, window. */
  setSlot(slot: bigint, unixTimestamp: bigint): void {
    const time = unixTimestamp > this.seconds ? unixTimestamp : this.seconds;
    const epoch = slot / SLOTS_PER_EPOCH;
    const slotIndex = slot % SLOTS_PER_EPOCH;
    const epochStart = time - (slotIndex * BigInt(this.slotMs)) / 1000n;
    this.svm.setClock(new Clock(slot, epochStart, epoch, epoch + 1n, time));
    this.slotNow = slot;
    this.seconds = time;
    this.latestHash = this.blockhashOf(slot);
    this.blockhashes.set(this.latestHash, slot);
    for (const [hash, s] of this.blockhashes) {
      if (slot - s <= BLOCKHASH_VALIDITY_SLOTS) break;
      this.blockhashes.delete(hash);
    }
  }

  /**
   * Brings the runtime's slot-dependent state to the current slot before something runs: the SlotHashes
   * sysvar (the 512 latest slots with their blockhashes — including the current slot, which a cluster's
   * lists only as ancestors, so `createLookupTable({ recentSlot: await connection.getSlot() })` works in
   * the slot it is sent) and, unless `runtimeHash` is false (a replay sets it from the journal), the
   * runtime's own blockhash, advanced once per slot in which something runs.
   */
  prepare(runtimeHash = true): void {
    if (this.slotHashesAt !== this.slotNow) {
      const entries: { slot: bigint; hash: string }[] = [];
      for (let slot = this.slotNow; slot >= 0n && this.slotNow - slot < SLOT_HASHES_ENTRIES; slot--) {
        entries.push({ slot, hash: this.blockhashOf(slot) });
      }
      this.svm.setSlotHashes(entries);
      this.slotHashesAt = this.slotNow;
    }
    if (runtimeHash && this.runtimeHashSlot !== this.slotNow) {
      this.svm.expireBlockhash();
      this.runtimeHashes++;
      this.runtimeHashSlot = this.slotNow;
    }
  }

  /** Advances the runtime's own blockhash until it has advanced `count` times (replaying a journal). */
  catchUpRuntimeBlockhash(count: number): void {
    while (this.runtimeHashes < count) {
      this.svm.expireBlockhash();
      this.runtimeHashes++;
    }
    this.runtimeHashSlot = this.slotNow;
  }
}
