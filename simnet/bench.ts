// Measures the local chain as clients see it: latency of common RPC calls through web3.js, transactions per
// second through sendTransaction (sequential and concurrent, with and without preflight), and the replay
// speed of a restart. Prints JSON as its last line.
//   npx tsx simnet/bench.ts [--calls 300] [--transactions 1000]
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createMint, getOrCreateAssociatedTokenAccount, mintTo } from "@solana/spl-token";
import { Connection, Keypair, LAMPORTS_PER_SOL, SystemProgram, Transaction, type PublicKey } from "@solana/web3.js";
import { startSimnet, type Simnet } from "./server";

function argument(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} expects a positive integer`);
  return value;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const round = (x: number) => Math.round(x * 1000) / 1000;

async function latency(calls: number, fn: () => Promise<unknown>) {
  for (let i = 0; i < 10; i++) await fn(); // warm-up (connection, JIT)
  const times: number[] = [];
  for (let i = 0; i < calls; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { meanMs: round(times.reduce((a, b) => a + b, 0) / times.length), p50Ms: round(percentile(times, 50)), p99Ms: round(percentile(times, 99)) };
}

/** `count` signed transfers from `payer` with distinct amounts (so distinct signatures) on one blockhash. */
function signedTransfers(payer: Keypair, to: PublicKey, count: number, blockhash: string, offset: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const tx = new Transaction({ feePayer: payer.publicKey, recentBlockhash: blockhash }).add(SystemProgram.transfer({ fromPubkey: payer.publicKey, toPubkey: to, lamports: 1_000_000 + offset + i }));
    tx.sign(payer);
    out.push(tx.serialize());
  }
  return out;
}

async function throughput(connection: Connection, raws: Buffer[], concurrency: number, skipPreflight: boolean) {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < raws.length) await connection.sendRawTransaction(raws[next++], { skipPreflight, maxRetries: 0 });
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  return { transactions: raws.length, concurrency, skipPreflight, txPerSecond: Math.round(raws.length / seconds) };
}

async function main(): Promise<void> {
  const calls = argument("--calls", 300);
  const transactions = argument("--transactions", 1000);
  const ledgerDir = fs.mkdtempSync(path.join(os.tmpdir(), "simnet-bench-"));
  let sim: Simnet | null = null;
  try {
    sim = await startSimnet({ port: 0, wsPort: 0, ledgerDir });
    const connection = new Connection(sim.rpcUrl, { commitment: "confirmed", wsEndpoint: sim.wsUrl });
    const payer = Keypair.generate();
    sim.chain.airdrop(payer.publicKey, 1_000n * BigInt(LAMPORTS_PER_SOL));
    const mint = await createMint(connection, payer, payer.publicKey, null, 6);
    const ata = await getOrCreateAssociatedTokenAccount(connection, payer, mint, payer.publicKey);
    const minted = await mintTo(connection, payer, mint, ata.address, payer, 1_000_000n);
    const { blockhash } = await connection.getLatestBlockhash();
    const probe = new Transaction({ feePayer: payer.publicKey, recentBlockhash: blockhash }).add(SystemProgram.transfer({ fromPubkey: payer.publicKey, toPubkey: mint, lamports: 1 }));
    probe.sign(payer);

    const rpc = {
      getSlot: await latency(calls, () => connection.getSlot()),
      getLatestBlockhash: await latency(calls, () => connection.getLatestBlockhash()),
      getBalance: await latency(calls, () => connection.getBalance(payer.publicKey)),
      getAccountInfo: await latency(calls, () => connection.getAccountInfo(ata.address)),
      getParsedAccountInfo: await latency(calls, () => connection.getParsedAccountInfo(ata.address)),
      getMultipleAccounts10: await latency(calls, () => connection.getMultipleAccountsInfo(Array(10).fill(ata.address))),
      getTokenAccountsByOwner: await latency(calls, () => connection.getTokenAccountsByOwner(payer.publicKey, { mint })),
      getSignatureStatuses: await latency(calls, () => connection.getSignatureStatuses([minted])),
      getTransaction: await latency(calls, () => connection.getTransaction(minted, { maxSupportedTransactionVersion: 0 })),
      simulateTransaction: await latency(calls, () => connection.simulateTransaction(probe)),
    };

    // Fresh blockhash for each run (one is valid for 150 slots, a minute at 400 ms).
    const runs = [];
    let offset = 0;
    for (const [concurrency, skipPreflight] of [
      [1, false],
      [16, false],
      [16, true],
    ] as const) {
      const raws = signedTransfers(payer, Keypair.generate().publicKey, transactions, (await connection.getLatestBlockhash()).blockhash, offset);
      offset += transactions;
      runs.push(await throughput(connection, raws, concurrency, skipPreflight));
    }

    const landed = sim.chain.history.size;
    await sim.close();
    sim = null;
    const restart = performance.now();
    sim = await startSimnet({ port: 0, wsPort: 0, ledgerDir });
    const restartMs = Math.round(performance.now() - restart);
    const result = {
      node: process.version,
      cpus: os.cpus().length,
      callsPerMethod: calls,
      rpcLatency: rpc,
      sendTransaction: runs,
      restart: { transactions: landed, replayMs: sim.replay.ms, startMs: restartMs, msPerTransaction: round(sim.replay.ms / landed), diverged: sim.replay.diverged },
      journalBytes: fs.statSync(path.join(ledgerDir, "journal.jsonl")).size,
    };
    for (const [method, r] of Object.entries(rpc)) console.log(`${method.padEnd(24)} mean ${r.meanMs} ms  p50 ${r.p50Ms} ms  p99 ${r.p99Ms} ms`);
    for (const r of runs) console.log(`sendTransaction x${r.transactions} concurrency ${r.concurrency}${r.skipPreflight ? " skipPreflight" : ""}: ${r.txPerSecond} tx/s`);
    console.log(`restart: replayed ${landed} transactions in ${sim.replay.ms} ms`);
    console.log(JSON.stringify(result));
  } finally {
    await sim?.close();
    fs.rmSync(ledgerDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
