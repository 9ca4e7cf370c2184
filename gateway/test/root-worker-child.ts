// Child for the root computer test: computes a root through the worker and prints mode and root (hex).
import { Keypair } from "@solana/web3.js";
import { toHex, type UsageRecord } from "../../sdk/src/receipts";
import { WorkerRootComputer } from "../src/settle/root-computer";

async function main(): Promise<void> {
  const team = process.argv[2] ?? Keypair.generate().publicKey.toBase58();
  const records: UsageRecord[] = [1, 2, 3].map((i) => ({
    team, batchSeq: 1n, requestId: `r${i}`, timestampMs: BigInt(i), endpoint: "/e", userId: "u", units: 1n, cost: 5n,
  }));
  const c = new WorkerRootComputer();
  const root = await c.root(records);
  console.log(JSON.stringify({ mode: c.mode, root: toHex(root) }));
  await c.close();
}
void main();
