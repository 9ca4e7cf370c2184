// Worker thread of RootComputer: computes usage-receipt roots with the SDK, off the request thread.
import { parentPort } from "node:worker_threads";
import { usageRoot, type UsageRecord } from "../../../sdk/src/receipts";

parentPort?.on("message", (m: { id: number; records: UsageRecord[] }) => {
  try {
    parentPort!.postMessage({ id: m.id, root: usageRoot(m.records) });
  } catch (err) {
    parentPort!.postMessage({ id: m.id, error: err instanceof Error ? err.message : String(err) });
  }
});
