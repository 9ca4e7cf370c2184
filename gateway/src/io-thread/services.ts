// The request thread's side of the I/O thread (worker.ts): the runtime's services — key source, balance
// mirror, settlement ledger and chain — as calls to the worker, which is replaced if it is lost. Starting it
// throws when no worker can start here (inside a bundled Next.js server); the runtime then runs everything
// in-process.
import type { Worker } from "node:worker_threads";
import type { PublicKey as PublicKeyType, TransactionInstruction } from "@solana/web3.js";
import { PublicKey } from "@solana/web3.js";
import { decodeTeamBillingAccount, type TeamBillingAccount } from "../../../sdk/src/accounts";
import type { TeamChainState } from "../balance/source";
import { fitsOneTransaction, type SettlementChain, type TeamBatchPlan } from "../chain/settlement-chain";
import type { KeyRecord, KeySource, RevocationPage } from "../keys/source";
import type { LeaseGrant, LeaseReport, LeaseSource } from "../balance/leases";
import { BatchConflictError, type BatchToRecord, type SettlementLedger } from "../ledger/settlement-ledger";
import type { RuntimeServices } from "../runtime";
import { startWorker, workerFile } from "../threads/start-worker";
import { BalanceMirror } from "./balance-mirror";
import { errorFromWire, RpcClient, type RpcCaller, type RpcPort, type WireError } from "./rpc";
import type { IoThreadSettings, IoThreadStatus } from "./settings";
import { instructionFromWire, instructionToWire, planToWire, type WireInstruction } from "./wire";

/** How long the worker may take to load its libraries and connect its clients, ms. */
const READY_TIMEOUT_MS = 60_000;

class RemoteKeySource implements KeySource {
  constructor(private readonly rpc: RpcCaller) {}
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
  constructor(private readonly rpc: RpcCaller) {}
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

class RemoteLeaseSource implements LeaseSource {
  constructor(private readonly rpc: RpcCaller) {}
  renew(instance: string, ttlMs: number, teams: readonly LeaseReport[]): Promise<LeaseGrant[]> {
    return this.rpc.call("leases.renew", { instance, ttlMs, teams });
  }
  release(instance: string, teams?: readonly string[]): Promise<void> {
    return this.rpc.call("leases.release", { instance, teams });
  }
}

/** Team accounts cross as their bytes and are decoded here; instructions cross as WireInstruction. */
class RemoteSettlementChain implements SettlementChain {
  constructor(
    private readonly rpc: RpcCaller,
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

/** Calls go to the current worker; between a worker's loss and its successor's start they are refused. */
class IoLink implements RpcCaller {
  current: RpcClient | null = null;
  call<T>(method: string, args?: unknown): Promise<T> {
    if (this.current === null) return Promise.reject(new Error("the gateway's I/O thread is restarting"));
    return this.current.call<T>(method, args);
  }
}

export interface IoThreadOptions {
  /** The worker's file. Default worker.ts beside this one. */
  file?: string;
  /** Wait before starting a lost worker's successor, ms (and between failed starts). Default 1_000. */
  restartDelayMs?: number;
  /** The worker's CPU priority (threads/start-worker.ts). Default DEFAULT_WORKER_NICE. */
  nice?: number;
}

/** The services of an I/O thread, with how often its worker was restarted. */
export type IoThreadServices = RuntimeServices & { readonly restarts: number };

/**
 * Starts the I/O thread and resolves once its clients are up; rejects with the worker's error otherwise.
 * A worker lost later (an uncaught error in it, say) is replaced after restartDelayMs: what it was doing
 * is refused to its callers (the settler and the key cache retry), the mirror's states age meanwhile (the
 * gate's staleness rule applies), and its successor follows every followed team again.
 */
export async function startIoThread(settings: IoThreadSettings, o: IoThreadOptions = {}): Promise<IoThreadServices> {
  const file = o.file ?? workerFile(__dirname, "worker");
  const restartDelayMs = o.restartDelayMs ?? 1_000;
  const link = new IoLink();
  const balances = new BalanceMirror(link);
  let indexerError: unknown = null;
  let worker: Worker | null = null;
  let stopping = false;
  let restarts = 0;
  const applyStatus = (s: IoThreadStatus) => {
    balances.applyStatus(s.balances);
    indexerError = s.indexerError === null ? null : errorFromWire(s.indexerError);
  };

  /** Starts a worker; resolves with its fee payer once its clients are up. */
  const launch = async (): Promise<string> => {
    const w = startWorker(file, settings, { nice: o.nice });
    let ready: (feePayer: string) => void = () => undefined;
    let failed: (err: Error) => void = () => undefined;
    const started = new Promise<string>((resolve, reject) => {
      ready = resolve;
      failed = reject;
    });
    let up = false;
    const rpc = new RpcClient(w as unknown as RpcPort, (event, data) => {
      if (event === "state") {
        const { team, state } = data as { team: string; state: TeamChainState | null };
        balances.applyState(team, state);
      } else if (event === "status") applyStatus(data as IoThreadStatus);
      else if (event === "ready") ready((data as { feePayer: string }).feePayer);
      else if (event === "failed") failed(errorFromWire(data as WireError));
    });
    const gone = (err: Error) => {
      rpc.lost(err);
      failed(err);
      if (link.current !== rpc) return;
      link.current = null;
      // A worker ended by stop() is not lost: its health stays as it last reported it.
      if (stopping) return;
      balances.lost(err);
      if (up) restartLater();
    };
    w.on("error", (err) => gone(err));
    w.on("exit", (code) => gone(new Error(`the gateway's I/O thread exited (code ${code})`)));
    link.current = rpc;
    const timeout = setTimeout(() => failed(new Error(`the gateway's I/O thread did not start within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
    try {
      const feePayer = await started;
      up = true;
      worker = w;
      return feePayer;
    } catch (err) {
      if (link.current === rpc) link.current = null;
      await w.terminate();
      throw err;
    } finally {
      clearTimeout(timeout);
    }
  };

  const restartLater = (): void => {
    setTimeout(() => {
      if (stopping) return;
      launch().then(
        async () => {
          restarts += 1;
          await balances.refollow();
        },
        (err: unknown) => {
          balances.lost(err);
          restartLater();
        },
      );
    }, restartDelayMs).unref();
  };

  const feePayer = await launch();
  return {
    mode: "io-thread",
    keys: new RemoteKeySource(link),
    balances,
    settlementLedger: new RemoteSettlementLedger(link),
    leases: new RemoteLeaseSource(link),
    chain: new RemoteSettlementChain(link, new PublicKey(feePayer)),
    indexer: settings.indexer === false ? null : { get lastError() { return indexerError; } },
    get restarts() {
      return restarts;
    },
    start: () => undefined, // the worker started its background work as it came up
    async stop() {
      stopping = true;
      try {
        applyStatus(await link.call<IoThreadStatus>("stop"));
      } catch {
        // A worker lost (or restarting) has no background work left to stop.
      } finally {
        await worker?.terminate();
      }
    },
  };
}
