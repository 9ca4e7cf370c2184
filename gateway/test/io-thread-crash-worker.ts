// The I/O thread's worker, ended by an uncaught error (as a bug in one of its clients' callbacks would end
// it) when asked to resolve the key hash CRASH_KEY_HASH.
import { parentPort } from "node:worker_threads";
import "../src/io-thread/worker";

export const CRASH_KEY_HASH = "crash-the-io-thread";

parentPort?.on("message", (m: { method?: string; args?: unknown }) => {
  if (m.method === "keys.resolve" && m.args === CRASH_KEY_HASH) {
    setImmediate(() => {
      throw new Error("crash asked for by the test");
    });
  }
});
