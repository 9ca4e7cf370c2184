// Starting one of the gateway's worker threads (receipt roots, large ledger writes) from its file.
//
// The worker starts from a small eval'd bootstrap (never `new Worker(path)`, which bundlers such as
// Next.js's try to bundle): a TypeScript worker file is loaded through tsx's require hook (a worker does
// not inherit the parent's loader hooks), a compiled one as is. Inside a bundle the resolve of tsx fails
// and the caller falls back to doing the work in-process.
import path from "node:path";
import { Worker } from "node:worker_threads";

/** Defined (true) by gateway/build.ts in the compiled gateway; absent when running from the sources. */
declare const GATEWAY_COMPILED: boolean | undefined;

/**
 * Worker `name`'s file: `<dir>/<name>.ts` from the sources (`dir` is the caller's __dirname), or in the
 * compiled gateway `<name>.cjs` beside the compiled entry point (gateway/build.ts writes them together).
 */
export function workerFile(dir: string, name: string): string {
  return typeof GATEWAY_COMPILED !== "undefined" && GATEWAY_COMPILED ? path.join(__dirname, `${name}.cjs`) : path.join(dir, `${name}.ts`);
}

/** tsx's require-hook API, named indirectly so bundlers (Next.js) do not try to bundle tsx. */
const TSX_REGISTER = ["tsx", "cjs", "api"].join("/");

/** Starts the worker in `file` with `workerData`; unref'd, so it never keeps the process alive. Throws when it cannot start. */
export function startWorker(file: string, workerData?: unknown): Worker {
  const register = file.endsWith(".ts") ? `require(${JSON.stringify(require.resolve(/*turbopackIgnore: true*/ TSX_REGISTER))}).register();` : "";
  const worker = new Worker(`${register} require(${JSON.stringify(file)});`, { eval: true, workerData });
  worker.unref();
  return worker;
}
