// Usage-receipt roots (sdk/src/receipts.ts) for the settler. With Node's sha256 the tree costs ~3 µs per
// record, still tens of ms for a large batch: done on the request thread it would stall every request
// behind a settlement. A worker thread computes it instead; the batch crosses as its receipt fields in
// typed arrays on shared memory (receipt-root.ts, entry-columns.ts sharedArray), not copied. Where a
// worker cannot start (e.g. inside a bundled Next.js server) roots are computed in-process, with the same
// function.
import type { Worker } from "node:worker_threads";
import { checkWorkerNice, startWorker, workerFile } from "../threads/start-worker";
import { receiptRoot, type ReceiptBatch } from "./receipt-root";

export interface RootComputer {
  root(batch: ReceiptBatch): Promise<Uint8Array>;
  close(): Promise<void>;
  /** "worker" or "inline". */
  readonly mode: string;
}

export class InlineRootComputer implements RootComputer {
  readonly mode = "inline";
  async root(batch: ReceiptBatch): Promise<Uint8Array> {
    return receiptRoot(batch);
  }
  async close(): Promise<void> {}
}

type Pending = { batch: ReceiptBatch; resolve: (r: Uint8Array) => void; reject: (e: unknown) => void };

export class WorkerRootComputer implements RootComputer {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private broken = false;
  get mode(): string {
    return this.broken ? "inline" : "worker";
  }

  /** `nice`: the worker's CPU priority (threads/start-worker.ts). */
  constructor(o: { file?: string; nice?: number } = {}) {
    this.worker = startWorker(o.file ?? workerFile(__dirname, "receipt-worker"), undefined, { nice: o.nice });
    this.worker.on("message", (m: { id: number; root?: Uint8Array; error?: string }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.root) p.resolve(new Uint8Array(m.root));
      else p.reject(new Error(m.error ?? "receipt worker failed"));
    });
    this.worker.on("error", () => this.fallBack());
    this.worker.on("exit", () => this.fallBack());
  }

  /** The worker is gone: compute what was waiting, and everything after, in-process. */
  private fallBack(): void {
    this.broken = true;
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      try {
        p.resolve(receiptRoot(p.batch));
      } catch (err) {
        p.reject(err);
      }
    }
  }

  root(batch: ReceiptBatch): Promise<Uint8Array> {
    if (this.broken) return Promise.resolve().then(() => receiptRoot(batch));
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.pending.set(id, { batch, resolve, reject });
      this.worker.postMessage({ id, team: batch.team, seq: batch.seq.toString(), fields: batch.fields, costs: batch.costs });
    });
  }

  async close(): Promise<void> {
    this.broken = true;
    await this.worker.terminate();
  }
}

/** A worker-backed computer (at CPU priority `nice`) when a worker can start here, else the in-process one. */
export function createRootComputer(o: { nice?: number } = {}): RootComputer {
  if (o.nice !== undefined) checkWorkerNice(o.nice); // a bad priority is refused, not taken for "no worker can start"
  try {
    return new WorkerRootComputer(o);
  } catch {
    return new InlineRootComputer();
  }
}
