// Starting one of the gateway's worker threads (the I/O thread, receipt roots, large ledger writes) from its
// file, at a low CPU priority.
//
// Why a low priority: their work (settlement, chain and ledger traffic) can wait a few milliseconds, a
// request cannot. On a machine whose cores are all busy, a worker woken with a batch to hash or to send
// took the core from the thread serving requests for up to ~10 ms at a time, measured here in the
// metering proxy's CPU profile (the request thread stalled inside postMessage, which wakes the worker),
// and every request in flight waited it out. At nice 19 the kernel runs them when a core would otherwise
// idle, or for a small share of it (still enough to keep up: the benchmark settles every request).
//
// The worker starts from a small eval'd bootstrap (never `new Worker(path)`, which bundlers such as
// Next.js's try to bundle): a TypeScript worker file is loaded through tsx's require hook (a worker does
// not inherit the parent's loader hooks), a compiled one as is. Inside a bundle (a Next.js server) the
// worker sources cannot be found, so the workers start from the compiled gateway that GATEWAY_WORKERS_DIR
// names (gateway/build.ts writes it; `npm start` and the benchmark set it); without it the caller does the
// work in-process, on the request thread.
import path from "node:path";
import { Worker } from "node:worker_threads";

/** Defined (true) by gateway/build.ts in the compiled gateway; absent when running from the sources. */
declare const GATEWAY_COMPILED: boolean | undefined;

/** Environment variable naming the directory of the compiled workers (gateway/build.ts's output). */
export const WORKERS_DIR_ENV = "GATEWAY_WORKERS_DIR";

/**
 * Worker `name`'s file: in the compiled gateway `<name>.cjs` beside the compiled entry point (gateway/build.ts
 * writes them together); else `<name>.cjs` in the directory GATEWAY_WORKERS_DIR names, when set; else
 * `<dir>/<name>.ts` from the sources (`dir` is the caller's __dirname).
 */
export function workerFile(dir: string, name: string, env: NodeJS.ProcessEnv = process.env): string {
  if (typeof GATEWAY_COMPILED !== "undefined" && GATEWAY_COMPILED) return path.join(__dirname, `${name}.cjs`);
  const compiled = env[WORKERS_DIR_ENV];
  return compiled ? path.join(compiled, `${name}.cjs`) : path.join(dir, `${name}.ts`);
}

/** The CPU priority of the gateway's worker threads unless configured: Linux nice 19, the lowest. */
export const DEFAULT_WORKER_NICE = 19;

/** A worker nice value: an integer from 0 (the request thread's priority) to 19 (the lowest). */
export function checkWorkerNice(nice: unknown): number {
  if (!(typeof nice === "number" && Number.isInteger(nice) && nice >= 0 && nice <= 19)) {
    throw new RangeError(`workerNice must be an integer from 0 (as the request thread) to 19 (the lowest priority), got ${String(nice)}`);
  }
  return nice;
}

/**
 * The bootstrap's first statement: lower this thread's priority. Linux keeps a nice value per thread and
 * setpriority(2) on "process" 0 changes only the calling thread's, so the request thread keeps its own;
 * elsewhere it would change the whole process's, so nothing is done there. Failing to lower it is harmless
 * (the worker runs at the process's priority), hence no error.
 */
function lowerPriority(nice: number): string {
  if (process.platform !== "linux" || nice === 0) return "";
  return `try { require("node:os").setPriority(0, ${nice}); } catch {}`;
}

/** tsx's require-hook API, named indirectly so bundlers (Next.js) do not try to bundle tsx. */
const TSX_REGISTER = ["tsx", "cjs", "api"].join("/");

/**
 * Starts the worker in `file` with `workerData` at CPU priority `nice` (default DEFAULT_WORKER_NICE);
 * unref'd, so it never keeps the process alive. Throws when it cannot start.
 */
export function startWorker(file: string, workerData?: unknown, o: { nice?: number } = {}): Worker {
  const nice = checkWorkerNice(o.nice ?? DEFAULT_WORKER_NICE);
  const register = file.endsWith(".ts") ? `require(${JSON.stringify(require.resolve(/*turbopackIgnore: true*/ TSX_REGISTER))}).register();` : "";
  const worker = new Worker(`${lowerPriority(nice)} ${register} require(${JSON.stringify(file)});`, { eval: true, workerData });
  worker.unref();
  return worker;
}
