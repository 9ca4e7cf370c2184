// Child for the root computer test: computes a root through the worker and prints mode and root (hex).
// Its batch is the test's (receiptBatchFixture), so the parent compares with the SDK's root of the same records.
import { toHex } from "../../sdk/src/receipts";
import { WorkerRootComputer } from "../src/settle/root-computer";
import { receiptBatchFixture } from "./receipt-batch-fixture";

async function main(): Promise<void> {
  const { batch } = receiptBatchFixture(process.argv[2]!, Number(process.argv[3]));
  const c = new WorkerRootComputer();
  const root = await c.root(batch);
  console.log(JSON.stringify({ mode: c.mode, root: toHex(root) }));
  await c.close();
}
void main();
