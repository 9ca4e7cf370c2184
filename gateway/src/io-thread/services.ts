// The request thread's side of the I/O thread (worker.ts): the runtime's services — key source, balance
// mirror, settlement ledger and chain — as calls to the worker. Starting it throws when no worker can start
// here (inside a bundled Next.js server); the runtime then runs everything in-process.
import path from "node:path";
import type { PublicKey as PublicKeyType, TransactionInstruction } from "@solana/web3.js";
import { PublicKey } from "@solana/web3.js";
import { decodeTeamBillingAccount, type TeamBillingAccount } from "../../../sdk/src/accounts";
import type { TeamChainState } from "../balance/source";
import { fitsOneTransaction, type SettlementChain, type TeamBatchPlan } from "../chain/settlement-chain";
import type { KeyRecord, KeySource, RevocationPage } from "../keys/source";
import { BatchConflictError, type BatchToRecord, type SettlementLedger } from "../ledger/settlement-ledger";
import type { RuntimeServices } from "../runtime";
import { startWorker } from "../threads/start-worker";
import { BalanceMirror } from "./balance-mirror";
import { errorFromWire, RpcClient, type RpcPort, type WireError } from "./rpc";
import type { IoThreadSettings, IoThreadStatus } from "./settings";
import { instructionFromWire, instructionToWire, planToWire, type WireInstruction } from "./wire";

/** How long the worker may take to load its libraries and connect its clients, ms. */
const READY_TIMEOUT_MS = 60_000;

class RemoteKeySource implements KeySource {
  constructor(private readonly rpc: RpcClient) {}
  resolve(keyHash: string): Promise<KeyRecord | null> {
    return this.rpc.call("keys.resolve", keyHash);
  }
  revokedSince(cursor: string | null): Promise<RevocationPage> {
    return this.rpc.call("keys.revokedSince", cursor);
  }
  touch(keyHash: string, atMs: number): Promise<void> {
    return this.rpc.call("keys.touch", { keyHash, atMs });
  }
}

class RemoteSettlementLedger implements SettlementLedger {
  constructor(private readonly rpc: RpcClient) {}
  async recordBatch(b: BatchToRecord): Promise<void> {
    try {
      await this.rpc.call("ledger.recordBatch", b);
    } catch (err) {
      if ((err as { code?: unknown }).code === "batch_conflict") throw new BatchConflictError((err as Error).message);
      throw err;
    }
  }
  markSettled(batchId: string, signature: string): Promise<void> {
    return this.rpc.call("ledger.markSettled", { batchId, signature });
  }
  markFailed(batchId: string, reason: string): Promise<void> {
    return this.rpc.call("ledger.markFailed", { batchId, reason });
  }
}

/** Team accounts cross as their bytes and are decoded here; instructions cross as WireInstruction. */
class RemoteSettlementChain implements SettlementChain {
  constructor(
    private readonly rpc: RpcClient,
    private readonly feePayer: PublicKeyType,
  ) {}
  async readTeams(addresses: readonly string[]) {
    const raw = await this.rpc.call<{ nowSec: bigint; teams: Map<string, Uint8Array | null> }>("chain.readTeamData", [...addresses]);
    const teams = new Map<string, TeamBillingAccount | null>();
    for (const [address, bytes] of raw.teams) teams.set(address, bytes === null ? null : decodeTeamBillingAccount(bytes));
    return { nowSec: raw.nowSec, teams };
  }
  async instructions(plan: TeamBatchPlan): Promise<TransactionInstruction[]> {
    return (await this.rpc.call<WireInstruction[]>("chain.instructions", planToWire(plan))).map(instructionFromWire);
  }
  fits(ixs: readonly TransactionInstruction[]): boolean {
    return fitsOneTransaction(ixs, this.feePayer);
  }
  send(ixs: readonly TransactionInstruction[]): Promise<string> {
    return this.rpc.call("chain.send", ixs.map(instructionToWire));
  }
}

/** Starts the I/O thread and resolves once its clients are up; rejects with the worker's error otherwise. */
export async function startIoThread(settings: IoThreadSettings, file = path.join(__dirname, "worker.ts")): Promise<RuntimeServices> {
  const worker = startWorker(file, settings);
  let balances: BalanceMirror | null = null;
  let indexerError: unknown = null;
  let ready: (feePayer: string) => void = () => undefined;
  let failed: (err: Error) => void = () => undefined;
  const started = new Promise<string>((resolve, reject) => {
    ready = resolve;
    failed = reject;
  });
  const applyStatus = (s: IoThreadStatus) => {
    balances?.applyStatus(s.balances);
    indexerError = s.indexerError === null ? null : errorFromWire(s.indexerError);
  };
  const rpc = new RpcClient(worker as unknown as RpcPort, (event, data) => {
    if (event === "state") {
      const { team, state } = data as { team: string; state: TeamChainState | null };
      balances?.applyState(team, state);
    } else if (event === "status") applyStatus(data as IoThreadStatus);
    else if (event === "ready") ready((data as { feePayer: string }).feePayer);
    else if (event === "failed") failed(errorFromWire(data as WireError));
  });
  balances = new BalanceMirror(rpc);
  const gone = (err: Error) => {
    rpc.lost(err);
    failed(err);
  };
  worker.on("error", (err) => gone(err));
  worker.on("exit", (code) => gone(new Error(`the gateway's I/O thread exited (code ${code})`)));

  const timeout = setTimeout(() => failed(new Error(`the gateway's I/O thread did not start within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
  let feePayer: string;
  try {
    feePayer = await started;
  } catch (err) {
    await worker.terminate();
    throw err;
  } finally {
    clearTimeout(timeout);
  }

  return {
    mode: "io-thread",
    keys: new RemoteKeySource(rpc),
    balances,
    settlementLedger: new RemoteSettlementLedger(rpc),
    chain: new RemoteSettlementChain(rpc, new PublicKey(feePayer)),
    indexer: settings.indexer === false ? null : { get lastError() { return indexerError; } },
    start: () => undefined, // the worker started its background work as it came up
    async stop() {
      try {
        applyStatus(await rpc.call<IoThreadStatus>("stop"));
      } finally {
        await worker.terminate();
      }
    },
  };
}
