// The durable usage log: every served paid request is appended here before its response is sent.
//
// Files in `dir`:
//   seg-<n>.log   append-only segments of lines (see codec.ts): u = served request, b = batch formed,
//                 s = batch settled, x = batch given back unsent, p = the gate's count of a team's settled
//                 spend this period (balance/shares.ts)
//   ckpt-<n>.log  the live state (unsettled requests, the open batch and the spend of each team) as of the
//                 end of segment n, written by compaction; replay starts from the newest checkpoint
//   LOCK          pid of the one process writing this directory (log-lock.ts)
// (log-files.ts names them and reads a file's text back.)
//
// Durability: appends are group-committed — every line appended during one turn of the event loop (and
// while a write is in progress) goes out in one write, closed by a trailer line with the group's crc32
// (codec.ts). Two policies:
//   "fsync" (default): each group is followed by fdatasync and append() resolves after it, so an entry
//                      whose append resolved survives a process kill and an OS crash or power loss.
//   "write":           append() resolves once the group is written (one write(2) into the page cache):
//                      it survives a process kill (SIGKILL included); a background fdatasync every
//                      `syncIntervalMs` bounds what an OS crash or power loss can take to that window.
// Measured here under load, fdatasync took ~8 ms per group and halved the metering proxy's throughput;
// "write" costs microseconds per write. Its groups span callbacks until the first line has waited
// `maxGroupWaitMs` (default 0.2 ms) or the turn ends. Measured in a loaded metering proxy, where a turn
// handles ~20 upstream answers: grouping by whole turns held a line 0.85 ms on average (28 % over 1 ms) and
// 0.2 ms groups 0.38 ms (10 %), ~9 lines a write. Writing each callback's line on its own (maxGroupWaitMs 0)
// held a response only 0.05 ms at the median and 0.15–0.3 ms at p99 between the upstream's answer and its
// own (3–5 ms otherwise), but the gated proxy then did 0.68–0.71 of the ungated one's rate in two runs, ~50 µs
// more CPU per request, against 0.78–0.96 with 0.2 ms groups. The wait was first checked at each append
// only; a loaded proxy's responses then still waited 1.0 ms at p90 and 2.8 ms at p99 for their write (turns
// of several ms whose later callbacks append nothing). The gate now also checks it at each admission
// (flushDue): 0.28 and 0.75 ms, at the same CPU per request within the noise (one four-round run).
// In-memory state changes only after a group is written, so a failed write never leaves a phantom entry.
//
// Compaction: when a segment reaches `maxSegmentBytes` (or compact() is called) the log rotates to a new
// segment, writes a checkpoint of the live state, then deletes the older segments and checkpoints. Settled
// requests are thereby dropped. Replay applies a group only once its trailer checks out. A torn or bad
// group at the end of the last segment (the process died mid-write: none of its appends had resolved)
// is truncated away; a bad group anywhere else is corruption and refuses to open.
import { promises as fsp, constants as fsc, writeSync } from "node:fs";
import path from "node:path";
import { encodeLine, entryOf, type LogLine, type PriceLine, type SpendLine } from "./codec";
import type { PeriodSpend, UncountedBatch } from "../balance/shares";
import type { UsageEntry, UsageSink } from "./sink";
import { GroupBuffer } from "./group-buffer";
import { batchTotals } from "./batch-totals";
import { EntryList, isU64, PendingEntries, StringTable } from "./entry-columns";
import { ckptName, logFilesOf, readLogText, segName } from "./log-files";
import { lockLogDir, unlockLogDir, UsageLogLockedError } from "./log-lock";

export { EntryList, UsageLogLockedError };

export type Durability = "fsync" | "write";

export interface UsageLogOptions {
  /** Directory of the log (created if missing). */
  dir: string;
  /** "fsync" (default): fdatasync after each group; "write": the write syscall only. */
  durability?: Durability;
  /** Segment size (bytes) that triggers rotation and compaction. Default 16 MiB. */
  maxSegmentBytes?: number;
  /** With "write": interval of the background fdatasync, ms (0 = only on rotation and close). Default 100. */
  syncIntervalMs?: number;
  /**
   * With "write", how long a line may wait for later lines to share its write, ms: a positive value (default
   * 0.2) groups the lines of several callbacks until the first has waited that long (checked at each append
   * and at each admission of a gate writing here: flushDue) or the turn of the event loop ends; Infinity,
   * until the turn ends; 0 writes each callback's lines right after it. "fsync" always groups by turn. See
   * "Durability" above.
   */
  maxGroupWaitMs?: number;
  /**
   * The caller's request ids are unique by construction (the gate's default: 128 random bits), so appends
   * skip the duplicate check and its index of every unsettled id. Default false: an id already unsettled
   * is refused (UsageLogStateError). Replay checks for duplicates either way.
   */
  uniqueIds?: boolean;
}

/** Requests the settler sealed into batch `seq` of a team: settled together by one deduct_usage. */
export interface SealedBatch {
  readonly team: string;
  readonly seq: bigint;
  readonly entries: EntryList;
  /** The chain state the batch is charged from, fixed when it was sealed; null for batches sealed without one. */
  readonly basis: PricingBasis | null;
}

/**
 * What deduct_usage will price a batch from (after the roll_period that goes with it): the tier's terms
 * and the period's counters. The settler fixes it at sealing, so each record's cost is its share of the
 * batch's charge in order, and a retry after a restart records the same costs. Amounts in base units.
 */
export interface PricingBasis {
  readonly includedRequests: bigint;
  readonly overagePrice: bigint;
  readonly periodRequests: bigint;
  readonly periodOverageSpend: bigint;
  readonly spendCap: bigint;
}

function spendLineOf(team: string, key: number | null, b: UncountedBatch): SpendLine {
  return { t: "p", team, pe: key, q: b.seq.toString(), c: b.charged.toString(), n: b.units.toString() };
}

function priceLineOf(b: PricingBasis): PriceLine {
  return {
    inc: b.includedRequests.toString(),
    per: b.overagePrice.toString(),
    pr: b.periodRequests.toString(),
    ps: b.periodOverageSpend.toString(),
    cap: b.spendCap.toString(),
  };
}

function basisOf(p: PriceLine | undefined): PricingBasis | null {
  if (p === undefined) return null;
  return { includedRequests: BigInt(p.inc), overagePrice: BigInt(p.per), periodRequests: BigInt(p.pr), periodOverageSpend: BigInt(p.ps), spendCap: BigInt(p.cap) };
}

export class UsageLogStateError extends Error {
  readonly code = "usage_log_state";
}

interface TeamLog {
  /** Unbatched entries in append order. */
  pending: PendingEntries;
  /** The one batch sealed and not yet settled. */
  open: SealedBatch | null;
  /** A seal is being written. */
  sealing: boolean;
  /** The gate's last count of the team's settled spend (noteSpend). */
  spent: PeriodSpend | null;
  /** Batches settled after that count, oldest first: the gate had not counted them yet. */
  uncounted: UncountedBatch[];
}

/** Called with null once an append (or seal, or settle) is durable, or with the error that stopped it. */
export type Done = (err: unknown) => void;

/** A line waiting for the next group write (its bytes are in the GroupBuffer): its state change is applied only once it is written. */
interface Queued {
  /** A served request (applyAppend), or null for a line with its own `apply`. */
  entry: UsageEntry | null;
  apply: (() => void) | null;
  done: Done;
}

/** A part of the live state for a checkpoint: `entries`, then the batch line if sealed. */
interface LivePart {
  entries: EntryList;
  /** The `b` line closing a sealed batch's entries; null for pending requests. */
  batchLine: string | null;
}

/** done() of a line nobody waits for. */
const ignoreError: Done = () => {};

/** Checkpoint lines encoded per turn of the event loop. */
const SNAPSHOT_SLICE = 2_000;

export class UsageLog implements UsageSink {
  private readonly teams = new Map<string, TeamLog>();
  /** Team ids, members and endpoints of the unsettled entries, each stored once. */
  private readonly strings = new StringTable();
  /** Ids of unsettled entries (replay is idempotent by id; a duplicate id is a caller bug). Not kept after replay with uniqueIds. */
  private readonly liveIds = new Set<string>();
  /** Whether liveIds is kept (always during replay). */
  private trackIds = true;
  /** Unsettled entries. */
  private live = 0;
  private queue: Queued[] = [];
  /** The bytes of the queued lines. */
  private group = new GroupBuffer();
  /** "fsync": the buffer of the group in flight, reused for the next one once written. */
  private spareGroup: GroupBuffer | null = null;
  private flushing = false;
  /** A flush is scheduled for the end of this turn (setImmediate). */
  private scheduled = false;
  /** performance.now() of the first line of the group scheduled at the end of this turn. */
  private groupStartedAt = 0;
  /** A flush is scheduled right after the current callback (process.nextTick) while one waits for the turn's end. */
  private flushingEarly = false;
  private syncTimer: NodeJS.Timeout | null = null;
  private syncing: Promise<void> | null = null;
  private unsyncedBytes = 0;
  /** "write": a segment was created since the directory was last synced (see openSegment). */
  private dirUnsynced = false;
  private fh: fsp.FileHandle | null = null;
  private segment = 0;
  private segBytes = 0;
  private rotateWanted = false;
  private checkpointWanted = false;
  private compacting: Promise<void> = Promise.resolve();
  /** Error of the last background checkpoint, reported by the next compact(). */
  private compactionError: unknown = null;
  private failed: unknown = null;
  private closed = false;
  /** Groups written (one write + one fdatasync each): appends per group shows the group-commit effect. */
  groupsWritten = 0;
  linesWritten = 0;

  private constructor(
    readonly dir: string,
    private readonly durability: Durability,
    private readonly maxSegmentBytes: number,
    private readonly syncIntervalMs: number,
    private readonly maxGroupWaitMs: number,
  ) {}

  /** Opens (creating or replaying) the log in `dir`, taking its lock. */
  static async open(options: UsageLogOptions): Promise<UsageLog> {
    const durability = options.durability ?? "fsync";
    if (durability !== "fsync" && durability !== "write") {
      throw new RangeError(`durability must be "fsync" or "write", got ${String(durability)}`);
    }
    const maxSegmentBytes = options.maxSegmentBytes ?? 16 * 1024 * 1024;
    if (!(Number.isInteger(maxSegmentBytes) && maxSegmentBytes > 0)) {
      throw new RangeError(`maxSegmentBytes must be a positive integer, got ${maxSegmentBytes}`);
    }
    const syncIntervalMs = options.syncIntervalMs ?? 100;
    if (!(Number.isInteger(syncIntervalMs) && syncIntervalMs >= 0)) {
      throw new RangeError(`syncIntervalMs must be a non-negative integer, got ${syncIntervalMs}`);
    }
    const maxGroupWaitMs = durability === "write" ? (options.maxGroupWaitMs ?? 0.2) : Infinity;
    if (!(typeof maxGroupWaitMs === "number" && maxGroupWaitMs >= 0)) {
      throw new RangeError(`maxGroupWaitMs must be a non-negative number of ms or Infinity, got ${maxGroupWaitMs}`);
    }
    await fsp.mkdir(options.dir, { recursive: true });
    const log = new UsageLog(options.dir, durability, maxSegmentBytes, syncIntervalMs, maxGroupWaitMs);
    await lockLogDir(options.dir);
    try {
      await log.replay();
    } catch (err) {
      await unlockLogDir(options.dir);
      throw err;
    }
    if (options.uniqueIds === true) {
      log.trackIds = false;
      log.liveIds.clear();
    }
    if (durability === "write" && syncIntervalMs > 0) {
      log.syncTimer = setInterval(() => void log.backgroundSync(), syncIntervalMs);
      log.syncTimer.unref();
    }
    return log;
  }

  // ---- replay -----------------------------------------------------------------------------------------

  private async replay(): Promise<void> {
    const names = await fsp.readdir(this.dir);
    const { segments: segs, checkpoints: ckpts } = logFilesOf(names);
    const base = ckpts.length > 0 ? ckpts[ckpts.length - 1]! : 0;
    if (base > 0) {
      const text = await fsp.readFile(path.join(this.dir, ckptName(base)), "utf8");
      this.replayText(text, ckptName(base), false);
    }
    const live = segs.filter((n) => n > base);
    for (let i = 0; i < live.length; i++) {
      const file = path.join(this.dir, segName(live[i]!));
      const text = await fsp.readFile(file, "utf8");
      const goodBytes = this.replayText(text, segName(live[i]!), i === live.length - 1);
      if (goodBytes < Buffer.byteLength(text)) await fsp.truncate(file, goodBytes);
    }
    // Leftovers of a compaction interrupted after its checkpoint was in place.
    for (const n of segs) if (n <= base) await fsp.rm(path.join(this.dir, segName(n)), { force: true });
    for (const n of ckpts) if (n < base) await fsp.rm(path.join(this.dir, ckptName(n)), { force: true });
    for (const n of names) if (n.endsWith(".tmp")) await fsp.rm(path.join(this.dir, n), { force: true });
    this.segment = Math.max(base, live.length > 0 ? live[live.length - 1]! : 0) + 1;
    await this.openSegment();
  }

  /** Applies one file's good prefix (log-files.ts readLogText); returns its byte length. */
  private replayText(text: string, name: string, last: boolean): number {
    return readLogText(text, `${this.dir}/${name}`, last, (l) => this.applyLine(l));
  }

  private applyLine(l: LogLine): void {
    if (l.t === "u") {
      if (!this.liveIds.has(l.id)) this.applyAppend(entryOf(l));
    } else if (l.t === "b") {
      const t = this.teamLog(l.team);
      const seq = BigInt(l.seq);
      if (t.open !== null && t.open.seq === seq) return;
      if ("ids" in l) this.applySealIds(l.team, seq, l.ids);
      else this.applySeal(l.team, seq, l.n, l.first, l.last, basisOf(l.price));
    } else if (l.t === "x") {
      const t = this.teams.get(l.team);
      if (t?.open && t.open.seq === BigInt(l.seq)) this.applyUnseal(t);
    } else if (l.t === "p") {
      const q = BigInt(l.q);
      const counted = { seq: q, charged: BigInt(l.c), units: BigInt(l.n) };
      if (l.pe === null) this.applyUncounted(this.teamLog(l.team), counted);
      else this.applySpend(this.teamLog(l.team), { key: l.pe, ...counted });
    } else {
      const t = this.teams.get(l.team);
      if (t?.open && t.open.seq === BigInt(l.seq)) this.applySettle(t);
    }
  }

  private teamLog(team: string): TeamLog {
    let t = this.teams.get(team);
    if (t === undefined) {
      t = { pending: new PendingEntries(team, this.strings), open: null, sealing: false, spent: null, uncounted: [] };
      this.teams.set(team, t);
    }
    return t;
  }

  private applyAppend(e: UsageEntry): void {
    this.teamLog(e.team).pending.push(e);
    this.live += 1;
    if (this.trackIds) this.liveIds.add(e.requestId);
  }

  /** Seals the team's first `n` pending requests, which must run from `first` to `last`. */
  private applySeal(team: string, seq: bigint, n: number, first: string, last: string, basis: PricingBasis | null): void {
    const t = this.teamLog(team);
    if (t.open !== null) throw new Error(`team ${team}: batch ${seq} sealed while batch ${t.open.seq} is open`);
    if (!(Number.isInteger(n) && n >= 1 && n <= t.pending.length)) throw new Error(`team ${team}: batch ${seq} does not match the pending requests`);
    const pending = t.pending.list();
    if (pending.requestId(0) !== first || pending.requestId(n - 1) !== last) {
      throw new Error(`team ${team}: batch ${seq} does not match the pending requests`);
    }
    t.open = { team, seq, entries: t.pending.take(n), basis };
  }

  /** applySeal for the batch lines of logs before the counted form: the batch's ids listed. */
  private applySealIds(team: string, seq: bigint, ids: readonly string[]): void {
    const t = this.teamLog(team);
    if (t.open !== null) throw new Error(`team ${team}: batch ${seq} sealed while batch ${t.open.seq} is open`);
    const wanted = new Set(ids);
    const pending = t.pending.take(t.pending.length).toArray();
    const entries = pending.filter((e) => wanted.has(e.requestId));
    if (entries.length !== ids.length) throw new Error(`team ${team}: batch ${seq} names requests not pending`);
    for (const e of pending) if (!wanted.has(e.requestId)) t.pending.push(e);
    t.open = { team, seq, entries: EntryList.of(team, entries, this.strings), basis: null };
  }

  /** The open batch's requests go back, in order, before the pending ones. */
  private applyUnseal(t: TeamLog): void {
    t.pending.unshift(t.open!.entries);
    t.open = null;
  }

  private applySettle(t: TeamLog): void {
    const entries = t.open!.entries;
    const { units, cost } = batchTotals(t.open!);
    this.applyUncounted(t, { seq: t.open!.seq, units, charged: cost });
    this.live -= entries.length;
    if (this.trackIds) for (let i = 0; i < entries.length; i++) this.liveIds.delete(entries.requestId(i));
    t.open = null;
  }

  /** A settled batch the gate's count does not hold yet. */
  private applyUncounted(t: TeamLog, b: UncountedBatch): void {
    if (t.spent === null || b.seq > t.spent.seq) t.uncounted.push(b);
  }

  private applySpend(t: TeamLog, spent: PeriodSpend): void {
    if (t.spent !== null && spent.seq < t.spent.seq) return; // counts only grow
    t.spent = spent;
    if (t.uncounted.length > 0) t.uncounted = t.uncounted.filter((b) => b.seq > spent.seq);
  }

  // ---- segments ---------------------------------------------------------------------------------------

  private async openSegment(): Promise<void> {
    this.fh = await fsp.open(path.join(this.dir, segName(this.segment)), fsc.O_WRONLY | fsc.O_CREAT | fsc.O_APPEND, 0o644);
    this.segBytes = (await this.fh.stat()).size;
    // "write": the new file's name reaches the disk with the next background sync (backgroundSync), off the
    // request path; without it an OS crash could take the whole segment, not just the sync interval's lines.
    if (this.durability === "write") this.dirUnsynced = true;
    await this.syncDir();
  }

  /** Makes the directory's entries durable; by default only under the "fsync" policy ("write" syncs it in the background). */
  private async syncDir(always = false): Promise<void> {
    if (this.durability !== "fsync" && !always) return;
    const d = await fsp.open(this.dir, "r");
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  }

  // ---- writing ----------------------------------------------------------------------------------------

  /** Queues a served request (`text` null: its line is built from `entry`) or another line (`text`, with `apply`). */
  private enqueue(text: string | null, entry: UsageEntry | null, apply: (() => void) | null, done: Done): void {
    if (this.closed) return done(new UsageLogStateError("usage log is closed"));
    if (this.failed !== null) return done(this.failed);
    if (text === null) this.group.addEntry(entry!);
    else this.group.addText(text);
    this.queue.push({ entry, apply, done });
    if (this.flushing) return; // the flush loop takes it next
    const wait = this.maxGroupWaitMs;
    if (!this.scheduled) {
      this.scheduled = true;
      if (wait === 0) {
        // Right after this callback: the lines it appends share one write.
        process.nextTick(this.flushSoon);
      } else {
        // At the end of this turn of the event loop: the appends of every request handled in it share one write.
        if (wait !== Infinity) this.groupStartedAt = performance.now();
        setImmediate(this.flushSoon);
      }
    } else {
      this.flushDue();
    }
  }

  /**
   * A long turn of the event loop: when the waiting group's first line has waited `maxGroupWaitMs`, writes the
   * group right after the current callback rather than at the turn's end. Checked at each append and, through
   * the gate (UsageSink.flushDue), at each admission: the request path's other callbacks.
   */
  flushDue(): void {
    const wait = this.maxGroupWaitMs;
    if (!this.scheduled || this.flushingEarly || this.flushing || wait === 0 || wait === Infinity) return;
    if (performance.now() - this.groupStartedAt < wait) return;
    this.flushingEarly = true;
    process.nextTick(this.flushSoon);
  }

  /** Writes what waits. Also run by a turn-end flush an early one already did (its queue is then new or empty). */
  private readonly flushSoon = (): void => {
    this.scheduled = false;
    this.flushingEarly = false;
    if (!this.flushing) void this.flushLoop();
  };

  /** enqueue() as a promise, for the settler's seal and settle lines. */
  private enqueueLine(line: LogLine, apply: () => void): Promise<void> {
    return new Promise<void>((resolve, reject) => this.enqueue(encodeLine(line), null, apply, (err) => (err === null ? resolve() : reject(err))));
  }

  /** "write" policy: fdatasync what was written since the last sync (in the background, never on the request path). */
  private backgroundSync(): Promise<void> {
    if (this.syncing !== null || this.unsyncedBytes === 0 || this.fh === null) return this.syncing ?? Promise.resolve();
    const fh = this.fh;
    this.unsyncedBytes = 0;
    this.syncs += 1;
    const dir = this.dirUnsynced;
    this.dirUnsynced = false;
    const syncing: Promise<void> = fh
      .datasync()
      .then(() => (dir ? this.syncDir(true) : undefined))
      .catch((err: unknown) => {
        if (dir) this.dirUnsynced = true;
        this.lastSyncError = err;
      })
      .finally(() => {
        if (this.syncing === syncing) this.syncing = null; // a rotation may have moved on to the next segment's
      });
    this.syncing = syncing;
    return syncing;
  }

  /** Error of the last background fdatasync ("write" policy), if any. */
  lastSyncError: unknown = null;
  /** Background fdatasyncs started ("write" policy). */
  syncs = 0;

  private async flushLoop(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length > 0 && this.failed === null) {
        if (this.rotateWanted) {
          try {
            await this.rotate();
          } catch (err) {
            this.failed = err;
            break;
          }
        }
        const group = this.queue;
        this.queue = [];
        const bytes = this.group;
        let buf: Buffer;
        try {
          if (this.durability === "fsync") {
            // Lines appended during the write and fdatasync go to the other buffer (the two take turns).
            this.group = this.spareGroup ?? new GroupBuffer();
            this.spareGroup = null;
            buf = bytes.frame();
            try {
              await this.writeAll(buf);
              await this.fh!.datasync();
            } finally {
              bytes.reset();
              this.spareGroup = bytes;
            }
          } else {
            // A few KB into the page cache: a synchronous write costs microseconds and no thread-pool round
            // trip, and nothing can append meanwhile, so the buffer is reused.
            buf = bytes.frame();
            bytes.reset();
            this.writeAllSync(buf);
            this.unsyncedBytes += buf.length;
          }
        } catch (err) {
          // Cut off whatever part of the group reached the file so no later line follows garbage.
          await this.fh!.truncate(this.segBytes).catch((e: unknown) => {
            this.failed = e;
          });
          for (const q of group) q.done(err);
          continue;
        }
        this.segBytes += buf.length;
        this.groupsWritten += 1;
        this.linesWritten += group.length;
        for (let i = 0; i < group.length; i++) {
          const q = group[i]!;
          if (q.entry !== null) this.applyAppend(q.entry);
          else q.apply!();
        }
        for (let i = 0; i < group.length; i++) group[i]!.done(null);
        if (this.segBytes >= this.maxSegmentBytes) {
          this.rotateWanted = true;
          this.checkpointWanted = true;
        }
      }
      if (this.failed !== null) for (const q of this.queue.splice(0)) q.done(this.failed);
    } finally {
      this.flushing = false;
    }
    if (this.rotateWanted && this.queue.length === 0 && !this.closed) void this.rotateIdle();
  }

  private writeAllSync(buf: Buffer): void {
    let off = 0;
    while (off < buf.length) off += writeSync(this.fh!.fd, buf, off, buf.length - off);
  }

  private async writeAll(buf: Buffer): Promise<void> {
    let off = 0;
    while (off < buf.length) {
      const { bytesWritten } = await this.fh!.write(buf, off, buf.length - off);
      off += bytesWritten;
    }
  }

  /** Rotates while nothing is queued (compaction asked for while the log was idle). */
  private async rotateIdle(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      await this.rotate();
    } catch (err) {
      this.failed = err;
    } finally {
      this.flushing = false;
    }
    if (this.queue.length > 0) void this.flushLoop();
  }

  /** Closes the segment and opens the next; with a checkpoint wanted, snapshots the live state and compacts. */
  private async rotate(): Promise<void> {
    this.rotateWanted = false;
    const closing = this.segment;
    const old = this.fh!;
    const oldSync = this.syncing;
    this.segment += 1;
    await this.openSegment();
    // The closed segment is retired in the background: under "write", its lines since the last background
    // sync are synced as a background sync would have (the groups waiting on the flush do not wait for that
    // fdatasync, which took a few ms every rotation), then it is closed. A failed sync is reported as a
    // background sync's is (lastSyncError); the checkpoint, which replaces the segment, is synced on its own.
    this.syncing = null;
    this.unsyncedBytes = 0;
    const retired = (async () => {
      await oldSync;
      try {
        if (this.durability === "write") await old.datasync();
      } catch (err) {
        this.lastSyncError = err;
      }
      await old.close().catch(() => undefined);
    })();
    this.compacting = this.compacting.then(() => retired);
    if (this.checkpointWanted) {
      this.checkpointWanted = false;
      // Captured with the rotation: exactly the state in segments ≤ closing. Encoded afterwards.
      const live = this.captureLive();
      this.compacting = this.compacting
        .then(async () => this.writeCheckpoint(closing, await this.encodeLive(live)))
        .catch((err: unknown) => {
          this.compactionError = err;
        });
    }
  }

  /**
   * The live state at this instant: each team's open batch and its pending entries as lists, which never
   * change (entry-columns.ts), so it can be encoded later, a slice at a time.
   */
  private captureLive(): LivePart[] {
    const parts: LivePart[] = [];
    for (const [team, t] of this.teams) {
      const spend: SpendLine[] = [];
      if (t.spent !== null) spend.push(spendLineOf(team, t.spent.key, t.spent));
      for (const b of t.uncounted) spend.push(spendLineOf(team, null, b));
      for (const line of spend) parts.push({ entries: EntryList.empty(team), batchLine: encodeLine(line) });
      if (t.open !== null) {
        const sealed = t.open.entries;
        const basis = t.open.basis;
        const line = encodeLine({
          t: "b",
          team,
          seq: t.open.seq.toString(),
          n: sealed.length,
          first: sealed.requestId(0),
          last: sealed.requestId(sealed.length - 1),
          ...(basis !== null ? { price: priceLineOf(basis) } : {}),
        });
        parts.push({ entries: sealed, batchLine: line });
      }
      if (t.pending.length > 0) parts.push({ entries: t.pending.list(), batchLine: null });
    }
    return parts;
  }

  /**
   * The captured live state as one group (empty when nothing was live), SNAPSHOT_SLICE lines per turn of
   * the event loop: 20,000 live requests encoded at once held requests up for ~20 ms.
   */
  private async encodeLive(parts: readonly LivePart[]): Promise<Buffer> {
    let lines = 0;
    for (const p of parts) lines += p.entries.length;
    const group = new GroupBuffer(Math.max(64 * 1024, lines * 160));
    let slice = 0;
    for (const p of parts) {
      for (let i = 0; i < p.entries.length; i++) {
        group.addEntry(p.entries.at(i));
        if (++slice === SNAPSHOT_SLICE) {
          slice = 0;
          await new Promise((r) => setImmediate(r));
        }
      }
      if (p.batchLine !== null) group.addText(p.batchLine);
    }
    return group.lines === 0 ? Buffer.alloc(0) : group.frame();
  }

  private async writeCheckpoint(upTo: number, text: Buffer): Promise<void> {
    const tmp = path.join(this.dir, `${ckptName(upTo)}.tmp`);
    const fh = await fsp.open(tmp, "w");
    try {
      await fh.writeFile(text);
      // Under either policy: the segments this checkpoint replaces are deleted below, so it must be on disk,
      // under its name, first. Otherwise an OS crash could take every unsettled request, not just the last
      // sync interval's ("write"). In the background, once per rotation.
      await fh.datasync();
    } finally {
      await fh.close();
    }
    await fsp.rename(tmp, path.join(this.dir, ckptName(upTo)));
    await this.syncDir(true);
    const { segments, checkpoints } = logFilesOf(await fsp.readdir(this.dir));
    for (const n of segments) if (n <= upTo) await fsp.rm(path.join(this.dir, segName(n)), { force: true });
    for (const n of checkpoints) if (n < upTo) await fsp.rm(path.join(this.dir, ckptName(n)), { force: true });
  }

  // ---- public surface ---------------------------------------------------------------------------------

  /** Appends a served request; resolves once durable (see the durability policy above). */
  append(entry: UsageEntry): Promise<void> {
    return new Promise<void>((resolve, reject) => this.appendThen(entry, (err) => (err === null ? resolve() : reject(err))));
  }

  /**
   * append() with a callback instead of a promise (the request path: no promise, no closure of its own):
   * `done(null)` once durable, `done(err)` when it was not written.
   */
  appendThen(entry: UsageEntry, done: Done): void {
    if (this.trackIds && this.liveIds.has(entry.requestId)) {
      return done(new UsageLogStateError(`request ${entry.requestId} is already in the usage log`));
    }
    // Refused before it is written: the entry columns hold u64 amounts only.
    if (!isU64(entry.units) || !isU64(entry.cost)) return done(new RangeError(`request ${entry.requestId}: units and cost must be u64`));
    this.enqueue(null, entry, null, done);
  }

  /** Teams with unsettled requests (pending or in an open batch). */
  teamsWithUsage(): string[] {
    return [...this.teams].filter(([, t]) => t.pending.length > 0 || t.open !== null).map(([team]) => team);
  }

  /** Teams with spend the gate counted, or settled batches it has not counted yet. */
  teamsWithSpend(): string[] {
    return [...this.teams].filter(([, t]) => t.spent !== null || t.uncounted.length > 0).map(([team]) => team);
  }

  /** The gate's last count of the team's settled spend, and the batches settled since (balance/shares.ts). */
  spendOf(team: string): { spent: PeriodSpend | null; uncounted: readonly UncountedBatch[] } {
    const t = this.teams.get(team);
    return { spent: t?.spent ?? null, uncounted: t?.uncounted ?? [] };
  }

  /**
   * Records the gate's count of the team's settled spend (UsageSink.noteSpend), in the background with the
   * next group: nothing waits on it, and a count that does not reach the disk (a write error, a crash) is
   * made up from the settled batches after the last one that did.
   */
  noteSpend(team: string, spent: PeriodSpend): void {
    if (this.closed || this.failed !== null) return;
    const t = this.teamLog(team);
    this.enqueue(encodeLine(spendLineOf(team, spent.key, spent)), null, () => this.applySpend(t, spent), ignoreError);
  }

  /** Unbatched requests of a team, in append order, as they are now (the list does not follow later appends). */
  pending(team: string): EntryList {
    return this.teams.get(team)?.pending.list() ?? EntryList.empty(team);
  }

  /** Total cost of a team's unbatched requests, base units (summed incrementally: each request once). */
  pendingCost(team: string): bigint {
    return this.teams.get(team)?.pending.cost() ?? 0n;
  }

  /** The team's batch sealed and not yet settled (at most one). */
  openBatch(team: string): SealedBatch | null {
    return this.teams.get(team)?.open ?? null;
  }

  /**
   * Seals the first `count` pending requests of a team (default all) into batch `seq`, durably, before
   * the settler sends it, with the chain state it is charged from (`basis`, kept in the line). Refused
   * while the team has an open batch: never two in flight.
   */
  async seal(team: string, seq: bigint, count?: number, basis: PricingBasis | null = null): Promise<SealedBatch> {
    const t = this.teams.get(team);
    if (t === undefined || t.pending.length === 0) throw new UsageLogStateError(`team ${team} has nothing to seal`);
    if (t.open !== null || t.sealing) {
      throw new UsageLogStateError(`team ${team} already has batch ${t.open?.seq ?? "(being sealed)"} in flight`);
    }
    const n = count ?? t.pending.length;
    if (!(Number.isInteger(n) && n >= 1 && n <= t.pending.length)) {
      throw new RangeError(`seal count must be 1..${t.pending.length}, got ${count}`);
    }
    // The first n pending stay the first n until the line is applied: appends only add at the end, and
    // `sealing` keeps a second seal out. So the line names them by count and ends, not id by id.
    const pending = t.pending.list();
    const first = pending.requestId(0);
    const last = pending.requestId(n - 1);
    t.sealing = true;
    try {
      const line: LogLine = { t: "b", team, seq: seq.toString(), n, first, last, ...(basis !== null ? { price: priceLineOf(basis) } : {}) };
      await this.enqueueLine(line, () => this.applySeal(team, seq, n, first, last, basis));
    } finally {
      t.sealing = false;
    }
    return t.open!;
  }

  /** Records that the team's open batch `seq` is settled on chain; its requests leave the live state. */
  async settle(team: string, seq: bigint, signature: string | null): Promise<void> {
    const t = this.teams.get(team);
    if (t?.open == null || t.open.seq !== seq) {
      throw new UsageLogStateError(`team ${team} has no open batch ${seq}`);
    }
    await this.enqueueLine({ t: "s", team, seq: seq.toString(), sig: signature }, () => {
      if (t.open?.seq === seq) this.applySettle(t);
    });
  }

  /**
   * Gives the team's open batch `seq` back unsent, durably: its requests return to the front of the
   * pending ones, to be sealed again under another batch_seq (another settler holds `seq`).
   */
  async unseal(team: string, seq: bigint): Promise<void> {
    const t = this.teams.get(team);
    if (t?.open == null || t.open.seq !== seq) {
      throw new UsageLogStateError(`team ${team} has no open batch ${seq}`);
    }
    await this.enqueueLine({ t: "x", team, seq: seq.toString() }, () => {
      if (t.open?.seq === seq) this.applyUnseal(t);
    });
  }

  /** Rotates and checkpoints now, dropping settled requests from disk; resolves when done. */
  async compact(): Promise<void> {
    this.rotateWanted = true;
    this.checkpointWanted = true;
    if (this.flushing) {
      while ((this.flushing || this.rotateWanted) && this.failed === null) await new Promise((r) => setImmediate(r));
    } else {
      await this.rotateIdle();
    }
    if (this.failed !== null) throw this.failed;
    await this.compacting;
    const err = this.compactionError;
    this.compactionError = null;
    if (err !== null) throw err;
  }

  /** Number of unsettled requests. */
  get unsettled(): number {
    return this.live;
  }

  /** "open" while it takes entries; "failed" once a write or rotation failed (it refuses entries until reopened); "closed". */
  get state(): "open" | "failed" | "closed" {
    return this.closed ? "closed" : this.failed !== null ? "failed" : "open";
  }

  /** Waits for queued appends, then closes the segment and releases the lock. */
  async close(): Promise<void> {
    if (this.closed) return;
    while (this.flushing || this.queue.length > 0) await new Promise((r) => setImmediate(r));
    this.closed = true;
    if (this.syncTimer !== null) clearInterval(this.syncTimer);
    await this.compacting;
    await this.syncing;
    if (this.durability === "write" && this.fh !== null) {
      await this.fh.datasync();
      if (this.dirUnsynced) await this.syncDir(true);
    }
    await this.fh?.close();
    this.fh = null;
    await unlockLogDir(this.dir);
  }
}
