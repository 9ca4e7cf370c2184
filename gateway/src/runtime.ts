// A running gateway: the gate, its durable usage log, the chain balance source, the settler and the
// chain indexer, assembled from a chain provider and the ledger client. The metering proxy (proxy/main.ts),
// the Next.js paid endpoints and the benchmark all start one of these.
//
// Start-up order matters: the log is replayed and its unsettled usage reserved in the gate before anything
// is served; on close the settler gets a bounded chance to settle what is pending before the log closes.
import type { Provider } from "@coral-xyz/anchor";
import type { PublicKey, Signer } from "@solana/web3.js";
import { PrepaidBillingClient } from "../../sdk/src/client";
import type { LedgerClient } from "../../ledger/client";
import { ChainBalanceSource } from "./chain/balance-source";
import { ChainIndexer, RpcTransactionSource, type ProgramTransactionSource, type SignaturesConnection } from "./chain/indexer";
import { SdkSettlementChain } from "./chain/settlement-chain";
import { createGate, type Gate } from "./gate";
import { ConvexIndexerLedger } from "./ledger/indexer-ledger";
import { LedgerKeySource } from "./ledger/key-source";
import { ConvexSettlementLedger } from "./ledger/settlement-ledger";
import type { GateOptions } from "./options";
import { Settler, type SettlerOptions } from "./settler";
import { createRootComputer } from "./settle/root-computer";
import { OffThreadMutations, type LedgerAccess } from "./ledger/off-thread-mutations";
import { UsageLog, type Durability } from "./usage/log";
import { promises as fsp } from "node:fs";
import path from "node:path";

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
  /** Gate options (keys, balances and usage are filled in). */
  gate?: Partial<Omit<GateOptions, "keys" | "balances" | "usage">>;
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
}

export interface GatewayRuntime {
  gate: Gate;
  log: UsageLog;
  balances: ChainBalanceSource;
  settler: Settler;
  indexer: ChainIndexer | null;
  client: PrepaidBillingClient;
  /** Stops background work, settles what it can within drainOnCloseMs, closes the log. */
  close(): Promise<void>;
}

function fileCursor(file: string) {
  return {
    load: async () => (await fsp.readFile(file, "utf8").catch(() => "")).trim() || undefined,
    save: async (cursor: string) => {
      const tmp = `${file}.tmp`;
      await fsp.writeFile(tmp, cursor);
      await fsp.rename(tmp, file);
    },
  };
}

export async function startGatewayRuntime(o: GatewayRuntimeOptions): Promise<GatewayRuntime> {
  const client = new PrepaidBillingClient(o.provider, o.programId ? { programId: o.programId } : {});
  const usageLogDir = o.usageLogDir ?? path.join(".data", "gateway", "usage");
  // The gate's default request ids are 128 random bits: unique by construction, so the log need not index them.
  const log = await UsageLog.open({ dir: usageLogDir, durability: o.durability ?? "write", uniqueIds: o.gate?.requestId === undefined });
  const balances = new ChainBalanceSource({ connection: o.provider.connection, programId: client.programId, pollMs: o.balancesPollMs });
  const gate = createGate({ ...o.gate, keys: new LedgerKeySource(o.ledger), balances, usage: log });
  gate.restore(log);
  const roots = createRootComputer();
  const largeMutations = o.ledgerAccess ? new OffThreadMutations(o.ledger.server(), o.ledgerAccess) : null;
  const settler = new Settler({
    roots,
    ...o.settler,
    log,
    gate,
    ledger: new ConvexSettlementLedger(o.ledger, largeMutations ?? undefined),
    chain: new SdkSettlementChain(client, o.billingAuthority),
    onSettled: (teams) => balances.refresh(teams),
  });
  let indexer: ChainIndexer | null = null;
  if (o.indexer !== false) {
    const source =
      o.indexer?.source ??
      new RpcTransactionSource(
        o.provider.connection as unknown as SignaturesConnection, // a web3.js Connection in production
        client.programId,
        fileCursor(path.join(path.dirname(path.resolve(/*turbopackIgnore: true*/ usageLogDir)), "indexer-cursor")),
      );
    indexer = new ChainIndexer({ source, ledger: new ConvexIndexerLedger(o.ledger), balances, programId: client.programId, pollMs: o.indexer?.pollMs });
  }

  gate.start();
  balances.start();
  settler.start();
  indexer?.start();

  let closed = false;
  return {
    gate,
    log,
    balances,
    settler,
    indexer,
    client,
    async close() {
      if (closed) return;
      closed = true;
      await settler.stop();
      const drainMs = o.drainOnCloseMs ?? 10_000;
      if (drainMs > 0) await settler.drain({ untilMs: Date.now() + drainMs });
      await indexer?.stop();
      if (indexer) await indexer.pollOnce().catch(() => undefined);
      await balances.stop();
      gate.close();
      await roots.close();
      await largeMutations?.close();
      await log.close();
    },
  };
}
