// The embedded ledger, assembled: data-directory lock, convex/ on the engine, durable store,
// scheduled functions re-armed, HTTP API on 127.0.0.1, crons on timers.
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { jsonToConvex, type Value } from "convex/values";
import { startCronDriver, type CronDriver } from "./cron-driver";
import { createEngine, type LedgerEngine } from "./engine";
import { createHttpApi } from "./http-api";
import { acquireDataDirLock, type DataDirLock } from "./lock";
import { DurableStore, recoverStore } from "./persistence";

export const DEFAULT_PORT = 3210;

export interface SidecarOptions {
  /** The convex/ functions directory (default: the repository's convex/). */
  functionsDir?: string;
  /** Where the snapshot, log, lock and cron state live (default: .data/ledger/). */
  dataDir?: string;
  /** TCP port on 127.0.0.1; 0 picks a free one (default 3210). */
  port?: number;
  /** fdatasync each commit (default true). */
  fsync?: boolean;
  /** Run crons.ts entries on timers (default true). */
  crons?: boolean;
  /** Log size that triggers a snapshot, bytes (default 8 MiB). */
  snapshotAfterBytes?: number;
  log?(event: string, fields?: Record<string, unknown>): void;
}

export interface RunningSidecar {
  url: string;
  port: number;
  engine: LedgerEngine;
  store: DurableStore;
  crons: CronDriver | null;
  /** Stops crons and the server, snapshots the store, releases the lock. */
  close(): Promise<void>;
}

const repoRoot = path.resolve(__dirname, "..", "..");
export const DEFAULT_FUNCTIONS_DIR = path.join(repoRoot, "convex");
export const DEFAULT_DATA_DIR = path.join(repoRoot, ".data", "ledger");

export async function startSidecar(options: SidecarOptions = {}): Promise<RunningSidecar> {
  const log = options.log ?? (() => {});
  const dataDir = path.resolve(options.dataDir ?? DEFAULT_DATA_DIR);
  const lock: DataDirLock = acquireDataDirLock(dataDir);
  if (lock.tookOverFrom !== null) log("lock_taken_over", { dataDir, stalePid: lock.tookOverFrom });
  let store: DurableStore | null = null;
  try {
    const engine = await createEngine(options.functionsDir ?? DEFAULT_FUNCTIONS_DIR);
    const started = Date.now();
    const recovered = recoverStore(dataDir, { onWarning: (message) => log("store_warning", { message }) });
    engine.store.importState(recovered.state);
    store = new DurableStore(dataDir, engine.store, recovered, {
      fsync: options.fsync,
      snapshotAfterBytes: options.snapshotAfterBytes,
    });
    log("store_recovered", {
      documents: recovered.state.documents.length,
      seq: recovered.seq,
      replayed: recovered.replayed,
      ms: Date.now() - started,
    });
    const scheduled = await engine.store.rearmScheduledFunctions();
    if (scheduled.rearmed + scheduled.interrupted > 0) log("scheduled_functions_rearmed", scheduled);

    const server = http.createServer(
      createHttpApi(engine, { onInternalError: (error) => log("internal_error", { error: String(error) }) }),
    );
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port ?? DEFAULT_PORT, "127.0.0.1", () => resolve());
    });
    const port = (server.address() as AddressInfo).port;

    const crons =
      options.crons === false || engine.crons.length === 0
        ? null
        : startCronDriver({
            entries: engine.crons,
            statePath: path.join(dataDir, "crons.json"),
            run: async (entry) => {
              const fn = engine.resolve(entry.functionPath);
              if (fn === null) throw new Error(`cron "${entry.name}": no function ${entry.functionPath}`);
              await engine.call(fn, jsonToConvex(entry.args) as Record<string, Value>);
            },
            onRun: (entry, at) => log("cron_run", { name: entry.name, scheduledAt: new Date(at).toISOString() }),
            onError: (entry, error) => log("cron_failed", { name: entry.name, error: String(error) }),
          });

    const durable = store;
    let closing: Promise<void> | null = null;
    return {
      url: `http://127.0.0.1:${port}`,
      port,
      engine,
      store: durable,
      crons,
      close: () =>
        (closing ??= (async () => {
          await crons?.stop();
          server.closeIdleConnections();
          const closed = new Promise<void>((resolve) => server.close(() => resolve()));
          // Requests in flight get a moment to finish; then keep-alive sockets are cut.
          const cut = setTimeout(() => server.closeAllConnections(), 2000);
          await closed;
          clearTimeout(cut);
          durable.close();
          lock.release();
        })()),
    };
  } catch (error) {
    store?.close();
    lock.release();
    throw error;
  }
}
