// The gateway's I/O thread: everything that talks to the chain and the ledger, off the thread that admits
// requests. It holds the RPC connection and its PubSub socket (balance subscriptions and polls), the ledger
// client (key lookups, settlement records, the indexer's events), the settlement transactions and the
// chain indexer, and serves the request thread's calls (io-thread/services.ts). Each team state it reads
// is pushed to the request thread's mirror, which the gate reads synchronously.
//
// Why a thread: measured here, a gated proxy whose request thread also ran these clients (web3.js over
// fetch, a WebSocket, the Convex client) answered every request more slowly than the same proxy's code
// without them, by more than their own CPU time; see docs/gateway-benchmark.md.
import { Keypair, PublicKey } from "@solana/web3.js";
import { parentPort, workerData } from "node:worker_threads";
import { createLedgerClient } from "../../../ledger/client";
import { clientServices, rpcProvider } from "../client-services";
import type { BatchToRecord } from "../ledger/settlement-ledger";
import type { LeaseReport } from "../balance/leases";
import { errorToWire, serveRpc, type RpcPort } from "./rpc";
import { instructionFromWire, instructionToWire, planFromWire, type WireInstruction, type WirePlan } from "./wire";
import type { IoThreadSettings, IoThreadStatus } from "./settings";
import { pinTickObjectShape } from "../threads/tick-shape";

/** How often the worker reports its background state (errors, polls) to the request thread, ms. */
const STATUS_EVERY_MS = 1_000;

function run(port: RpcPort, s: IoThreadSettings): void {
  const authority = Keypair.fromSecretKey(s.billingAuthoritySecret);
  let emit: (event: string, data: unknown) => void = () => undefined;
  const c = clientServices({
    provider: rpcProvider(s.rpcUrl, s.wsUrl, authority),
    billingAuthority: authority,
    programId: s.programId ? new PublicKey(s.programId) : undefined,
    ledger: createLedgerClient({ url: s.ledgerUrl, serverSecret: s.ledgerServerSecret }),
    balancesPollMs: s.balancesPollMs,
    onState: (team, state) => emit("state", { team, state }),
    indexer: s.indexer,
  });
  const { keys, balances, settlementLedger, leases, chain, indexer } = c;

  const status = (): IoThreadStatus => ({
    balances: {
      lastError: balances.lastError == null ? null : errorToWire(balances.lastError),
      polls: balances.polls,
      lastPollMs: balances.lastPollMs,
      pollStartedAt: balances.pollStartedAt,
    },
    indexerError: indexer?.lastError == null ? null : errorToWire(indexer.lastError),
  });
  const statusTimer = setInterval(() => emit("status", status()), STATUS_EVERY_MS);
  statusTimer.unref();

  emit = serveRpc(port, {
    "keys.resolve": (keyHash: string) => keys.resolve(keyHash),
    "keys.revokedSince": (cursor: string | null) => keys.revokedSince(cursor),
    "keys.touch": (a: { keyHash: string; atMs: number }) => keys.touch(a.keyHash, a.atMs),
    "balances.follow": (team: string) => balances.follow(team),
    "balances.refresh": (teams: string[] | undefined) => balances.refresh(teams),
    "ledger.recordBatch": (b: BatchToRecord) => settlementLedger.recordBatch(b),
    "ledger.markSettled": (a: { batchId: string; signature: string }) => settlementLedger.markSettled(a.batchId, a.signature),
    "ledger.markFailed": (a: { batchId: string; reason: string }) => settlementLedger.markFailed(a.batchId, a.reason),
    "leases.renew": (a: { instance: string; ttlMs: number; teams: LeaseReport[] }) => leases.renew(a.instance, a.ttlMs, a.teams),
    "leases.release": (a: { instance: string; teams?: string[] }) => leases.release(a.instance, a.teams),
    "chain.readTeamData": (addresses: string[]) => chain.readTeamData(addresses),
    "chain.instructions": async (plan: WirePlan) => (await chain.instructions(planFromWire(plan))).map(instructionToWire),
    "chain.send": (ixs: WireInstruction[]) => chain.send(ixs.map(instructionFromWire)),
    stop: async () => {
      clearInterval(statusTimer);
      await c.stop();
      return status();
    },
  }).emit;

  c.start();
  emit("ready", { feePayer: chain.feePayer.toBase58() });
}

const port = parentPort as unknown as RpcPort | null;
if (port) {
  pinTickObjectShape(); // see threads/tick-shape.ts
  try {
    run(port, workerData as IoThreadSettings);
  } catch (err) {
    port.postMessage({ event: "failed", data: errorToWire(err) });
  }
}
