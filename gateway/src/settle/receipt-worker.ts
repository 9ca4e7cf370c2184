// Worker thread of RootComputer: computes usage-receipt roots off the request thread.
import { parentPort } from "node:worker_threads";
import type { ReceiptFields } from "../usage/entry-columns";
import { receiptRoot } from "./receipt-root";
import { pinTickObjectShape } from "../threads/tick-shape";

interface RootRequest {
  id: number;
  team: string;
  /** batch_seq as a decimal string. */
  seq: string;
  fields: ReceiptFields;
  costs: BigUint64Array;
}

if (parentPort) pinTickObjectShape(); // see threads/tick-shape.ts

parentPort?.on("message", (m: RootRequest) => {
  try {
    parentPort!.postMessage({ id: m.id, root: receiptRoot({ team: m.team, seq: BigInt(m.seq), fields: m.fields, costs: m.costs }) });
  } catch (err) {
    parentPort!.postMessage({ id: m.id, error: err instanceof Error ? err.message : String(err) });
  }
});
