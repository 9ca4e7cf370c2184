// A running gateway: the gate, its durable usage log, the chain balance source, the settler and the
// chain indexer. The metering proxy (proxy/main.ts), the Next.js paid endpoints and the benchmark all start
// one of these. The chain and ledger clients (with the balance feed and the indexer) are its services: in
// this thread (inProcessServices, from a provider and a ledger client) or in the I/O thread
// (io-thread/services.ts, from settings), which keeps the request thread to the gate, the log and the settler.
//
// Start-up order matters: the log is replayed and its unsettled usage reserved in the gate before anything
// is served; on close the settler gets a bounded chance to settle what is pending before the log closes.
import type { Provider } from "@coral-xyz/anchor";
import type { PublicKey, Signer } from "@solana/web3.js";
import type { LedgerClient } from "../../ledger/client";
import type { BalanceSource } from "./balance/source";
import type { ProgramTransactionSource } from "./chain/indexer";
import type { SettlementChain } from "./chain/settlement-chain";
import { clientServices } from "./client-services";
import { BalanceLeases, type LeaseSource } from "./balance/leases";
import { instanceIdOf } from "./balance/instance-id";
import { createGate, type Gate } from "./gate";
import type { KeySource } from "./keys/source";
import type { SettlementLedger } from "./ledger/settlement-ledger";
import type { GateOptions } from "./options";
import { Settler, type SettlerOptions } from "./settler";
import { createRootComputer } from "./settle/root-computer";
import { OffThreadMutations, type LedgerAccess } from "./ledger/off-thread-mutations";
import { UsageLog, type Durability } from "./usage/log";
import path from "node:path";
import { pinTickObjectShape } from "./threads/tick-shape";

export interface GatewayRuntimeOptions {
  /** Chain access: reads through `provider.connection`, settlement transactions through `provider.sendAndConfirm`. */
  provider: Provider;
  /** The config's billing authority: signs deduct_usage. */
  billingAuthority: Signer;
  /** Default the IDL's program id. */
  programId?: PublicKey;
  ledger: LedgerClient;
  /**
   * The ledger's URL and server secret again, for a worker thread that records settled batches (their
   * records would stall the request thread for milliseconds). Without it they are recorded in-process.
   */
  ledgerAccess?: LedgerAccess;
  /** Usage log directory. Default ".data/gateway/usage". */
  usageLogDir?: string;
  /**
   * Default "write": the response waits for the usage entry's write(2) (safe against any process crash,
   * SIGKILL included) and a background fdatasync every 100 ms bounds what an OS crash could lose (served,
   * unbilled usage — never an overcharge). "fsync" makes every response wait for fdatasync: measured here
   * under load it costs ~8 ms per group and about half the proxy's throughput.
   */
  durability?: Durability;
  /** With "write": how long a usage line may wait to share a write, ms (UsageLogOptions.maxGroupWaitMs). Default 0.2. */
  maxGroupWaitMs?: number;
  /** Gate options (keys, balances, usage and leases are filled in). */
  gate?: Partial<Omit<GateOptions, "keys" | "balances" | "usage" | "leases">>;
  /**
   * Hold each team's share of its funds as a lease from the ledger (balance/leases.ts) rather than the fixed
   * gate.instanceShareBps: for several instances serving the same teams. `instance` defaults to the id kept in
   * the usage log's directory (balance/instance-id.ts); renewMs (1_000) and ttlMs (10_000) as BalanceLeasesOptions.
   */
  balanceLeases?: BalanceLeaseSettings;
  settler?: Partial<Omit<SettlerOptions, "log" | "gate" | "ledger" | "chain">>;
  /** Chain poll interval, ms. Default 1_000. */
  balancesPollMs?: number;
  /**
   * The indexer: false to run none (another process indexes); default on, reading program transactions
   * over RPC (getSignaturesForAddress) with its cursor in `<usageLogDir>/../indexer-cursor`.
   */
  indexer?: false | { source?: ProgramTransactionSource; pollMs?: number };
  /** Settle pending usage on close, up to this long, ms. Default 10_000 (0: do not wait). */
  drainOnCloseMs?: number;
  /**
   * CPU priority of the gateway's worker threads (the I/O thread, receipt roots, large ledger writes) as a
   * Linux nice value, 0 (as the request thread) to 19 (the lowest). Default 19: on busy cores their work
   * waits for the requests' (see threads/start-worker.ts). Linux only; elsewhere they run as the process.
   */
  workerNice?: number;
}

export interface BalanceLeaseSettings {
  instance?: string;
  renewMs?: number;
  ttlMs?: number;
}

/** The balance feed as the runtime uses it: the gate's BalanceSource, read-after-settle, and its health. */
export interface RuntimeBalances extends BalanceSource {
  /** Reads these teams (default all followed) now. */
  refresh(teams?: readonly string[]): Promise<void>;
  /** Teams followed so far. */
  teams(): string[];
  /** Last poll error (null after a successful poll). */
  readonly lastError: unknown;
  readonly polls: number;
  /** How long the last successful poll took, ms. */
  readonly lastPollMs: number;
  /** Clock ms when the poll in progress (if any) started. */
  readonly pollStartedAt: number | null;
}

/**
 * What the gate and the settler reach the chain and the ledger through, with the background work beside
 * them (balance subscriptions and polls, the indexer): in this thread, or in the I/O thread
 * (io-thread/services.ts) where a worker can start.
 */
export interface RuntimeServices {
  readonly mode: "in-process" | "io-thread";
  keys: KeySource;
  balances: RuntimeBalances;
  settlementLedger: SettlementLedger;
  /** The ledger's balance leases (used when the runtime's balanceLeases is set). */
  leases: LeaseSource;
  chain: SettlementChain;
  /** The indexer's health, or null when none runs. */
  indexer: { readonly lastError: unknown } | null;
  /** Starts the background work. */
  start(): void;
  /** Stops it: the indexer ingests what is left once, the subscriptions end. After the settler's drain. */
  stop(): Promise<void>;
}

export interface GatewayRuntime {
  gate: Gate;
  log: UsageLog;
  balances: RuntimeBalances;
  settler: Settler;
  indexer: { readonly lastError: unknown } | null;
  /** Where the chain and ledger clients run: "io-thread" (a worker) or "in-process". */
  mode: RuntimeServices["mode"];
  /** The instance's balance leases, or null with a fixed share. */
  leases: BalanceLeases | null;
  /** Stops background work, settles what it can within drainOnCloseMs, closes the log. */
  close(): Promise<void>;
}

/** The usage log directory of these options (default ".data/gateway/usage"). */
export const usageLogDirOf = (o: { usageLogDir?: string }): string => o.usageLogDir ?? path.join(".data", "gateway", "usage");

/** Where the indexer keeps its cursor: beside the usage log directory. */
export const indexerCursorFile = (usageLogDir: string): string =>
  path.join(path.dirname(path.resolve(/*turbopackIgnore: true*/ usageLogDir)), "indexer-cursor");

/** The services over a provider and a ledger client, all in this thread. */
export function inProcessServices(o: GatewayRuntimeOptions): RuntimeServices {
  const largeMutations = o.ledgerAccess ? new OffThreadMutations(o.ledger.server(), o.ledgerAccess, { nice: o.workerNice }) : null;
  const c = clientServices({
    ...o,
    largeMutations: largeMutations ?? undefined,
    indexer: o.indexer === false ? false : { ...o.indexer, cursorFile: indexerCursorFile(usageLogDirOf(o)) },
  });
  return {
    mode: "in-process",
    ...c,
    async stop() {
      await c.stop();
      await largeMutations?.close();
    },
  };
}

export type RuntimeAssemblyOptions = Pick<GatewayRuntimeOptions, "usageLogDir" | "durability" | "maxGroupWaitMs" | "gate" | "settler" | "drainOnCloseMs" | "workerNice" | "balanceLeases">;

/** A runtime over these services: the log replayed and its unsettled usage reserved before anything is served. */
export async function assembleRuntime(services: RuntimeServices, o: RuntimeAssemblyOptions): Promise<GatewayRuntime> {
  pinTickObjectShape(); // the thread that serves requests: see threads/tick-shape.ts
  // The gate's default request ids are 128 random bits: unique by construction, so the log need not index them.
  const log = await UsageLog.open({
    dir: usageLogDirOf(o),
    durability: o.durability ?? "write",
    maxGroupWaitMs: o.maxGroupWaitMs,
    uniqueIds: o.gate?.requestId === undefined,
  });
  const { balances } = services;
  let gate: Gate | null = null;
  let leases: BalanceLeases | null = null;
  try {
    leases = o.balanceLeases
      ? new BalanceLeases({
          ...o.balanceLeases,
          instance: o.balanceLeases.instance ?? (await instanceIdOf(usageLogDirOf(o))),
          source: services.leases,
          floorOf: (team) => gate!.leaseFloorBps(team),
          spendOf: (team) => gate!.leaseSpend(team),
        })
      : null;
    gate = createGate({ ...o.gate, keys: services.keys, balances, usage: log, ...(leases ? { leases } : {}) });
  } catch (err) {
    // A misconfigured start leaves nothing running and the log's directory unlocked for the next one.
    await log.close();
    await services.stop().catch(() => undefined);
    throw err;
  }
  gate.restore(log);
  const roots = createRootComputer({ nice: o.workerNice });
  const settler = new Settler({
    roots,
    ...o.settler,
    log,
    gate,
    ledger: services.settlementLedger,
    chain: services.chain,
    onSettled: (teams) => balances.refresh(teams),
    // With leases, a batch's share is reported to the ledger before the batch can be on chain (Gate.leaseSpend).
    ...(leases ? { beforeSend: () => leases!.renewSoon() } : {}),
  });

  gate.start();
  services.start();
  settler.start();
  // A restart renews at once the leases its replayed usage was admitted under.
  leases?.start(log.teamsWithUsage());

  let closed = false;
  return {
    gate,
    log,
    balances,
    settler,
    indexer: services.indexer,
    mode: services.mode,
    leases,
    async close() {
      if (closed) return;
      closed = true;
      await settler.stop();
      const drainMs = o.drainOnCloseMs ?? 10_000;
      if (drainMs > 0) await settler.drain({ untilMs: Date.now() + drainMs });
      if (leases) {
        await leases.stop();
        // Teams settled to the last request free their shares; the others keep them for this log's restart.
        await leases.releaseIdle().catch((err: unknown) => console.error(`balance leases not released: ${err instanceof Error ? err.message : String(err)}`));
      }
      await services.stop();
      gate.close();
      await roots.close();
      await log.close();
    },
  };
}

/** A runtime with its chain and ledger clients in this thread (tests, a bundled Next.js server). */
export function startGatewayRuntime(o: GatewayRuntimeOptions): Promise<GatewayRuntime> {
  return assembleRuntime(inProcessServices(o), o);
}
