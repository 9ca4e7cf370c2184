// Worker thread of RootComputer: computes usage-receipt roots off the request thread.
import { parentPort } from "node:worker_threads";
import { batchRoot } from "./batch-root";

interface RootRequest {
  id: number;
  team: string;
  /** batch_seq as a decimal string. */
  seq: string;
  pages: string[];
}

parentPort?.on("message", (m: RootRequest) => {
  try {
    parentPort!.postMessage({ id: m.id, root: batchRoot({ team: m.team, seq: BigInt(m.seq), pages: m.pages }) });
  } catch (err) {
    parentPort!.postMessage({ id: m.id, error: err instanceof Error ? err.message : String(err) });
  }
});
