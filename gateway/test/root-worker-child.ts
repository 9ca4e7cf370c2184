// Child for the root computer test: computes a root through the worker and prints mode and root (hex).
import { Keypair } from "@solana/web3.js";
import { toHex } from "../../sdk/src/receipts";
import { encodeUsagePage } from "../../convex/model/usagePage";
import { WorkerRootComputer } from "../src/settle/root-computer";

async function main(): Promise<void> {
  const team = process.argv[2] ?? Keypair.generate().publicKey.toBase58();
  const page = encodeUsagePage([1, 2, 3].map((i) => ({ requestId: `r${i}`, timestampMs: i, endpoint: "/e", userId: "u", units: 1, cost: 5n })));
  const c = new WorkerRootComputer();
  const root = await c.root({ team, seq: 1n, pages: [page] });
  console.log(JSON.stringify({ mode: c.mode, root: toHex(root) }));
  await c.close();
}
void main();
