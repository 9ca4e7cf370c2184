// Durable store of the embedded ledger: a snapshot plus an append-only log of committed writes.
//
// Every top-level commit is appended to `log.jsonl` (and, by default, fdatasync'ed) before the
// engine applies it to memory and before the caller gets its answer, so a restart — even after
// SIGKILL or power loss — comes back with the same documents and ids. When the log grows past a
// threshold — 8 MiB, or the size of the last snapshot when that is larger — the whole store is written
// to `snapshot.json` (temp file + rename) and the log is emptied. The second bound keeps snapshots
// linear in what is written: with a fixed threshold a store of usage pages that keeps growing (~1.7 MB
// of page text per settled batch of 25,000 requests) was rewritten whole every 8 MiB of log, its cost
// growing with the store's age; now each byte of log pays for at most one byte of snapshot, and a
// restart replays at most a store's worth of log. Values are stored as Convex JSON (`convexToJson`), so int64, bytes and special floats
// round-trip exactly.
import * as fs from "node:fs";
import * as path from "node:path";
import type { ConvexTestEngine, EngineCommit, EngineState, StoredDocument } from "convex-test";
import { convexToJson, jsonToConvex, type JSONValue } from "convex/values";
import { SidecarError } from "./errors";

const SNAPSHOT_FILE = "snapshot.json";
const LOG_FILE = "log.jsonl";
const FORMAT = 1;

export interface StoreOptions {
  /** fdatasync after every commit (default true, ~0.1 ms): survives power loss, not only a crash. */
  fsync?: boolean;
  /** Log size in bytes that triggers a snapshot (default 8 MiB). */
  snapshotAfterBytes?: number;
  /** Called when recovery drops a torn last log line (a write cut short by a crash). */
  onWarning?: (message: string) => void;
}

interface LogEntry {
  seq: number;
  commitTs: string | null;
  nextDocId: number;
  lastCreationTime: number;
  writes: Array<[string, JSONValue | null]>;
}

interface SnapshotFile {
  format: number;
  seq: number;
  nextDocId: number;
  lastCreationTime: number;
  lastCommitTs: string;
  documents: JSONValue[];
}

export interface RecoveredStore {
  state: EngineState;
  /** Sequence number of the last commit in the store (0 when empty). */
  seq: number;
  /** Log entries replayed on top of the snapshot. */
  replayed: number;
}

/** Reads snapshot + log back into an engine state, dropping a torn last log line. */
export function recoverStore(dataDir: string, options: StoreOptions = {}): RecoveredStore {
  const documents = new Map<string, StoredDocument>();
  let seq = 0;
  let nextDocId = 0;
  let lastCreationTime = 0;
  let lastCommitTs = 0n;

  const snapshotPath = path.join(dataDir, SNAPSHOT_FILE);
  if (fs.existsSync(snapshotPath)) {
    let snapshot: SnapshotFile;
    try {
      snapshot = JSON.parse(fs.readFileSync(snapshotPath, "utf8")) as SnapshotFile;
    } catch (error) {
      throw new SidecarError("store_corrupt", `${snapshotPath} is not valid JSON`, { cause: error });
    }
    if (snapshot.format !== FORMAT) {
      throw new SidecarError("store_corrupt", `${snapshotPath} has format ${snapshot.format}, expected ${FORMAT}`);
    }
    for (const json of snapshot.documents) {
      const doc = jsonToConvex(json) as StoredDocument;
      documents.set(doc._id, doc);
    }
    ({ seq, nextDocId, lastCreationTime } = snapshot);
    lastCommitTs = BigInt(snapshot.lastCommitTs);
  }

  const logPath = path.join(dataDir, LOG_FILE);
  let replayed = 0;
  if (fs.existsSync(logPath)) {
    const text = fs.readFileSync(logPath, "utf8");
    const lines = text.split("\n");
    // Every entry ends with "\n", so the last element is "" unless a crash cut the final write
    // short: that partial entry was never acknowledged and is dropped.
    const torn = lines.pop() ?? "";
    let goodBytes = 0;
    for (let i = 0; i < lines.length; i++) {
      let entry: LogEntry;
      try {
        entry = JSON.parse(lines[i]) as LogEntry;
      } catch (error) {
        throw new SidecarError("store_corrupt", `${logPath}: line ${i + 1} is not valid JSON`, { cause: error });
      }
      goodBytes += Buffer.byteLength(lines[i], "utf8") + 1;
      if (entry.seq <= seq) continue; // already in the snapshot (crash between snapshot and truncate)
      if (entry.seq !== seq + 1) {
        throw new SidecarError("store_corrupt", `${logPath}: entry ${entry.seq} follows ${seq}`);
      }
      for (const [id, json] of entry.writes) {
        if (json === null) documents.delete(id);
        else documents.set(id, jsonToConvex(json) as StoredDocument);
      }
      seq = entry.seq;
      nextDocId = Math.max(nextDocId, entry.nextDocId);
      lastCreationTime = Math.max(lastCreationTime, entry.lastCreationTime);
      if (entry.commitTs !== null) {
        const ts = BigInt(entry.commitTs);
        if (ts > lastCommitTs) lastCommitTs = ts;
      }
      replayed += 1;
    }
    if (torn !== "") {
      options.onWarning?.(`dropping a torn last entry of ${logPath} (${torn.length} bytes)`);
      fs.truncateSync(logPath, goodBytes);
    }
  }
  return {
    state: { documents: [...documents.values()], nextDocId, lastCreationTime, lastCommitTs },
    seq,
    replayed,
  };
}

/** Appends commits of `engine` to the log of `dataDir`; the store must already be imported. */
export class DurableStore {
  private readonly logPath: string;
  private readonly snapshotPath: string;
  private fd: number;
  private seq: number;
  private logBytes: number;
  /** Size of the snapshot on disk, bytes (0 before the first). */
  private snapshotBytes: number;
  private snapshotPending = false;
  private closed = false;

  constructor(
    private readonly dataDir: string,
    private readonly engine: ConvexTestEngine,
    recovered: RecoveredStore,
    private readonly options: StoreOptions = {},
  ) {
    this.logPath = path.join(dataDir, LOG_FILE);
    this.snapshotPath = path.join(dataDir, SNAPSHOT_FILE);
    this.seq = recovered.seq;
    this.fd = fs.openSync(this.logPath, "a");
    this.logBytes = fs.fstatSync(this.fd).size;
    this.snapshotBytes = fs.existsSync(this.snapshotPath) ? fs.statSync(this.snapshotPath).size : 0;
    engine.setCommitListener((commit) => this.append(commit));
  }

  /** Sequence number of the last persisted commit. */
  get lastSeq(): number {
    return this.seq;
  }

  // Runs inside the engine's commit: a throw here refuses the commit.
  private append(commit: EngineCommit): void {
    if (this.closed) throw new Error("the ledger store is closed");
    const entry: LogEntry = {
      seq: this.seq + 1,
      commitTs: commit.commitTs === null ? null : commit.commitTs.toString(),
      nextDocId: commit.nextDocId,
      lastCreationTime: commit.lastCreationTime,
      writes: commit.writes.map(([id, doc]) => [id, doc === null ? null : convexToJson(doc)]),
    };
    const line = JSON.stringify(entry) + "\n";
    const bytes = Buffer.from(line, "utf8");
    try {
      let written = 0;
      while (written < bytes.length) written += fs.writeSync(this.fd, bytes, written);
      if (this.options.fsync !== false) fs.fdatasyncSync(this.fd);
    } catch (error) {
      // The commit is refused: cut off whatever part of it reached the file (disk full midway),
      // so the next entry does not follow a broken line.
      try {
        fs.ftruncateSync(this.fd, this.logBytes);
      } catch {
        // The refusal below is what matters; recovery drops a torn tail anyway.
      }
      throw error;
    }
    this.seq = entry.seq;
    this.logBytes += bytes.length;
    if (this.snapshotDue) this.scheduleSnapshot();
  }

  /** The log has outgrown its threshold: 8 MiB (snapshotAfterBytes), or the last snapshot's size when larger. */
  private get snapshotDue(): boolean {
    return this.logBytes >= Math.max(this.options.snapshotAfterBytes ?? 8 * 1024 * 1024, this.snapshotBytes);
  }

  private scheduleSnapshot(): void {
    if (this.snapshotPending) return;
    this.snapshotPending = true;
    // After the current commit has been applied to memory: the store then equals seq exactly.
    setImmediate(() => {
      this.snapshotPending = false;
      if (!this.closed && this.snapshotDue) this.snapshot(); // not when a snapshot was taken meanwhile
    });
  }

  /**
   * Writes the whole committed store and empties the log. Synchronous, so no commit can land
   * between reading the store and truncating the log.
   */
  snapshot(): void {
    const state = this.engine.exportState();
    const file: SnapshotFile = {
      format: FORMAT,
      seq: this.seq,
      nextDocId: state.nextDocId,
      lastCreationTime: state.lastCreationTime,
      lastCommitTs: state.lastCommitTs.toString(),
      documents: state.documents.map((doc) => convexToJson(doc)),
    };
    const tmp = `${this.snapshotPath}.tmp`;
    const bytes = Buffer.from(JSON.stringify(file), "utf8");
    const fd = fs.openSync(tmp, "w");
    try {
      fs.writeFileSync(fd, bytes);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    this.snapshotBytes = bytes.length;
    fs.renameSync(tmp, this.snapshotPath);
    fsyncDirectory(this.dataDir);
    // A crash before this truncate leaves entries with seq <= snapshot.seq: recovery skips them.
    fs.ftruncateSync(this.fd, 0);
    if (this.options.fsync !== false) fs.fdatasyncSync(this.fd);
    this.logBytes = 0;
  }

  /** Snapshots (so the next start reads one file) and closes the log. */
  close(): void {
    if (this.closed) return;
    this.snapshot();
    this.closed = true; // later commits are refused by append()
    fs.closeSync(this.fd);
  }
}

function fsyncDirectory(dir: string): void {
  const fd = fs.openSync(dir, "r");
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
