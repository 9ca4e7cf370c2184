// The ledger directory: what makes the local chain survive a restart.
//   genesis.json      the chain's identity (genesis hash, creation time), written once
//   journal.jsonl     append-only, one line per landed transaction or program load, with the slot and
//                     unix time it saw; replayed in order on start
//   head.json         the last slot reached, rewritten every few seconds, so slots never run backwards
//   simnet.lock       the pid of the process that owns the directory
// A line is written (write(2), no fsync) before the client hears of its transaction, so a killed process
// loses nothing it acknowledged; a torn last line (power loss mid-write) is cut off on open.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { encodeBase58 } from "./base58";
import type { Genesis, JournalEntry } from "./chain";
import type { TxErrorJson } from "./errors";

const GENESIS_FILE = "genesis.json";
const JOURNAL_FILE = "journal.jsonl";
const HEAD_FILE = "head.json";
const LOCK_FILE = "simnet.lock";
const FORMAT_VERSION = 1;

interface TransactionLine {
  k: "tx";
  s: string;
  t: string;
  raw: string;
  err: TxErrorJson | null;
  /** Runtime blockhash advances so far (see Chain.syncRuntimeBlockhash). */
  h?: number;
}
interface ProgramLine {
  k: "program";
  s: string;
  t: string;
  id: string;
  elf: string;
}

export class LedgerInUseError extends Error {
  constructor(dir: string, pid: number) {
    super(`ledger directory ${dir} is in use by process ${pid}`);
    this.name = "LedgerInUseError";
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function encodeEntry(entry: JournalEntry): string {
  const line: TransactionLine | ProgramLine =
    entry.kind === "transaction"
      ? { k: "tx", s: entry.slot.toString(), t: entry.unixTimestamp.toString(), raw: Buffer.from(entry.raw).toString("base64"), err: entry.err, h: entry.runtimeBlockhashes }
      : { k: "program", s: entry.slot.toString(), t: entry.unixTimestamp.toString(), id: entry.programId, elf: Buffer.from(entry.elf).toString("base64") };
  return `${JSON.stringify(line)}\n`;
}

function decodeEntry(text: string, lineNumber: number): JournalEntry {
  const line = JSON.parse(text) as TransactionLine | ProgramLine;
  const slot = BigInt(line.s);
  const unixTimestamp = BigInt(line.t);
  if (line.k === "tx") return { kind: "transaction", slot, unixTimestamp, raw: Buffer.from(line.raw, "base64"), err: line.err, runtimeBlockhashes: line.h };
  if (line.k === "program") return { kind: "program", slot, unixTimestamp, programId: line.id, elf: Buffer.from(line.elf, "base64") };
  throw new Error(`journal line ${lineNumber}: unknown kind`);
}

export interface OpenOptions {
  /** Start a new chain: forget genesis, journal and head. */
  reset?: boolean;
  /** Wall clock, unix milliseconds. */
  now?: () => number;
}

export class LedgerStore {
  readonly dir: string;
  readonly genesis: Genesis;
  /** True when this open created the chain (first start or --reset). */
  readonly created: boolean;
  /** Bytes cut off the journal's end on open (a torn last line), 0 normally. */
  truncatedBytes = 0;
  private fd: number | null;

  private constructor(dir: string, genesis: Genesis, created: boolean, fd: number) {
    this.dir = dir;
    this.genesis = genesis;
    this.created = created;
    this.fd = fd;
  }

  /** Opens (creating if needed) a ledger directory and takes its lock. */
  static open(dir: string, options: OpenOptions = {}): LedgerStore {
    const now = options.now ?? Date.now;
    fs.mkdirSync(dir, { recursive: true });
    LedgerStore.lock(dir);
    try {
      if (options.reset) {
        for (const f of [GENESIS_FILE, JOURNAL_FILE, HEAD_FILE]) fs.rmSync(path.join(dir, f), { force: true });
      }
      const genesisPath = path.join(dir, GENESIS_FILE);
      let genesis: Genesis;
      let created = false;
      if (fs.existsSync(genesisPath)) {
        const g = JSON.parse(fs.readFileSync(genesisPath, "utf8")) as { version: number; hash: string; createdAt: number };
        if (g.version !== FORMAT_VERSION) throw new Error(`${genesisPath}: format version ${g.version}, expected ${FORMAT_VERSION} (start with --reset)`);
        genesis = { hash: g.hash, createdAt: g.createdAt };
      } else {
        genesis = { hash: encodeBase58(crypto.randomBytes(32)), createdAt: now() };
        // A new genesis starts a new journal: an old one belongs to another chain.
        fs.rmSync(path.join(dir, JOURNAL_FILE), { force: true });
        fs.rmSync(path.join(dir, HEAD_FILE), { force: true });
        writeAtomic(genesisPath, `${JSON.stringify({ version: FORMAT_VERSION, ...genesis }, null, 2)}\n`);
        created = true;
      }
      const fd = fs.openSync(path.join(dir, JOURNAL_FILE), "a+");
      const store = new LedgerStore(dir, genesis, created, fd);
      store.cutTornTail();
      return store;
    } catch (e) {
      fs.rmSync(path.join(dir, LOCK_FILE), { force: true });
      throw e;
    }
  }

  private static lock(dir: string): void {
    const lockPath = path.join(dir, LOCK_FILE);
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        fs.writeFileSync(lockPath, `${process.pid}\n`, { flag: "wx" });
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
        const pid = Number.parseInt(fs.readFileSync(lockPath, "utf8"), 10);
        if (Number.isInteger(pid) && pid !== process.pid && pidAlive(pid)) throw new LedgerInUseError(dir, pid);
        // The owner is gone (or it is this process after an unclean stop): take the lock over.
        fs.rmSync(lockPath, { force: true });
      }
    }
    throw new Error(`could not lock ${dir}`);
  }

  private get journalPath(): string {
    return path.join(this.dir, JOURNAL_FILE);
  }

  /** Cuts a last line that has no newline (a write that did not finish). */
  private cutTornTail(): void {
    const size = fs.statSync(this.journalPath).size;
    if (size === 0) return;
    const tail = Buffer.alloc(Math.min(size, 1 << 20));
    let end = size;
    // Walk back to the last newline; a line is at most a few hundred KiB (a program's ELF in base64).
    while (end > 0) {
      const start = Math.max(0, end - tail.length);
      const n = fs.readSync(this.fd as number, tail, 0, end - start, start);
      const i = tail.subarray(0, n).lastIndexOf(0x0a);
      if (i >= 0) {
        end = start + i + 1;
        break;
      }
      end = start;
    }
    if (end < size) {
      fs.ftruncateSync(this.fd as number, end);
      this.truncatedBytes = size - end;
    }
  }

  /** The journal's entries, oldest first. */
  *entries(): Generator<JournalEntry> {
    const text = fs.readFileSync(this.journalPath, "utf8");
    let start = 0;
    let lineNumber = 0;
    while (start < text.length) {
      let end = text.indexOf("\n", start);
      if (end < 0) end = text.length;
      lineNumber++;
      const line = text.slice(start, end);
      start = end + 1;
      if (line.trim() === "") continue;
      yield decodeEntry(line, lineNumber);
    }
  }

  /** Appends one entry (synchronously: it is in the file when this returns). */
  append(entry: JournalEntry): void {
    if (this.fd === null) throw new Error("ledger store is closed");
    fs.writeSync(this.fd, encodeEntry(entry));
  }

  readHead(): bigint | null {
    try {
      const head = JSON.parse(fs.readFileSync(path.join(this.dir, HEAD_FILE), "utf8")) as { slot: string };
      return BigInt(head.slot);
    } catch {
      return null;
    }
  }

  writeHead(slot: bigint): void {
    writeAtomic(path.join(this.dir, HEAD_FILE), `${JSON.stringify({ slot: slot.toString() })}\n`);
  }

  /** Flushes the journal to disk and releases the directory. */
  close(): void {
    if (this.fd === null) return;
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
    this.fd = null;
    fs.rmSync(path.join(this.dir, LOCK_FILE), { force: true });
  }
}

function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}
