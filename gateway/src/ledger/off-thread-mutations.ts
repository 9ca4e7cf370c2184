// Ledger mutations with large arguments, run on a worker thread. A settled batch's records (~70 bytes of
// page text per request, ~1.7 MB for a batch of 25,000) cost the request thread 5–13 ms measured here
// when sent from it: JSON encoding, UTF-8 conversion and the HTTP write, in one stretch that every
// request queued behind it waits out. Here they cross to the worker as strings (a copy, well under a
// millisecond) and the worker's own ledger client does the rest. Where no worker can start (inside a
// bundled Next.js server) the calls go through the in-process client.
//
// Errors keep their shape: a ledger refusal comes back as a ConvexError with the same data, so
// ledgerErrorOf() reads its code. A call in flight when the worker dies is refused (the caller retries);
// later calls run in-process.
import type { Worker } from "node:worker_threads";
import { getFunctionName, type FunctionReference } from "convex/server";
import { ConvexError, type Value } from "convex/values";
import type { ScopedLedger } from "../../../ledger/client";
import { checkWorkerNice, startWorker, workerFile } from "../threads/start-worker";

/** Where the worker's own ledger client connects, as the server. */
export interface LedgerAccess {
  url: string;
  serverSecret: string;
}

type Pending = { resolve: (value: unknown) => void; reject: (err: unknown) => void };
type Reply = { id: number; value?: unknown; error?: { message: string; data?: unknown } };

export class OffThreadMutations implements Pick<ScopedLedger, "mutation"> {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;

  constructor(
    /** The in-process ledger (as the server): used when no worker runs. */
    private readonly inProcess: Pick<ScopedLedger, "mutation">,
    access: LedgerAccess,
    /** `file`: the worker's (default mutation-worker beside this one); `nice`: its CPU priority (threads/start-worker.ts). */
    o: { file?: string; nice?: number } = {},
  ) {
    if (o.nice !== undefined) checkWorkerNice(o.nice); // a bad priority is refused, not taken for "no worker can start"
    try {
      this.worker = startWorker(o.file ?? workerFile(__dirname, "mutation-worker"), access, { nice: o.nice });
    } catch {
      return;
    }
    this.worker.on("message", (m: Reply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.error === undefined) p.resolve(m.value);
      else p.reject(m.error.data !== undefined ? new ConvexError(m.error.data as Value) : new Error(m.error.message));
    });
    this.worker.on("error", (err) => this.fallBack(err));
    this.worker.on("exit", () => this.fallBack(new Error("the ledger worker exited")));
  }

  /** "worker" or "inline". */
  get mode(): string {
    return this.worker === null ? "inline" : "worker";
  }

  mutation: ScopedLedger["mutation"] = (fn, args) => {
    const worker = this.worker;
    if (worker === null) return this.inProcess.mutation(fn, args);
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage({ id, name: getFunctionName(fn as FunctionReference<"mutation">), args });
    });
  };

  /** The worker is gone: what it held is refused, what comes next runs in-process. */
  private fallBack(err: unknown): void {
    this.worker = null;
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.reject(err);
    }
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    await worker?.terminate();
  }
}
