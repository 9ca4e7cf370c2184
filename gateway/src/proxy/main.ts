// `npm run gateway -- --config <file>`: the standalone metering reverse proxy.
//
// The config file is the proxy's (see config.ts: listen, routes, upstreamAgent, gate) plus, when the gate
// is on, the sections below; every field has a default, and an unknown key or a value of the wrong type is
// refused at start (config.ts CONFIG_SECTIONS):
//
//   "usageLog": { "dir": ".data/gateway/usage", "durability": "write", "maxGroupWaitMs": 0.2 },   ("fsync": every response
//                 waits for fdatasync; maxGroupWaitMs: how long a response may wait to share a write, see usage/log.ts)
//   "ledger":   { "url": "<CONVEX_URL, else LEDGER_URL, else http://127.0.0.1:3210>" },   secret: env LEDGER_SERVER_SECRET
//   "chain":    { "rpcUrl": "<SOLANA_RPC_URL, else http://127.0.0.1:8899>", "wsUrl": "<SOLANA_WS_URL, else the RPC port + 1>", "programId": "<PREPAID_BILLING_PROGRAM_ID, else the IDL's>",
//                 "billingAuthority": "<keypair JSON file; env BILLING_AUTHORITY_KEYPAIR>", "pollMs": 1000 },
//   "gateOptions": { "maxChainStalenessMs": 15000, "onChainUnavailable": "deny", "staleAllowance": "1000000",
//                    "network": "solana:localnet", "rateLimits": [{ "ratePerSec": 20, "burst": 40 }, …per tier id],
//                    "rateLimitHeaders": "refusals" ("always": X-RateLimit-* on successes too),
//                    "instanceShareBps": 10000 (lower when other gateways with their own usage logs serve the same teams),
//                    … any GateOptions number/string; amounts as strings },
//   "settler":  { "flushIntervalMs": 2000, "flushCost": "1000000", "maxRecordsPerBatch": 20000, "maxTeamsPerTx": 8,
//                 "minBatchIntervalMs": 1000 },
//   "indexer":  { "pollMs": 1000 }   (true: the defaults) or false when another process indexes
//   "workers":  { "nice": 19 }   CPU priority of the worker threads (I/O, receipt roots), 0–19 (runtime.ts workerNice)
//   "balanceLeases": true   or { "instance": "<id; default the one kept in the usage log's directory>", "renewMs": 1000,
//                 "ttlMs": 10000 }: each team's share leased from the ledger (balance/leases.ts) instead of
//                 gateOptions.instanceShareBps, for several gateways serving the same teams
//
// GET /healthz (config.ts "health") answers the gateway's health: health.ts.
//
// `npm run gateway -- leases list <team>` / `leases release <instance> [<team>…]`: see leases-command.ts.
//
// SIGINT/SIGTERM: stop accepting, settle what is pending (≤ 10 s), close the log, exit 0.
// Logs are JSON lines on stdout: listening, background_error/background_ok per component, chain_poll_slow,
// stopping, stopped; with env GATEWAY_STATUS_MS=<ms> also a status line at that interval (served, chain data
// ages, unsettled, log groups, event-loop delay percentiles over the interval).
import type { AddressInfo } from "node:net";
import { monitorEventLoopDelay } from "node:perf_hooks";
import type { GateOptions } from "../options";
import type { BalanceLeaseSettings, GatewayRuntime } from "../runtime";
import { startRuntimeFromSettings } from "../runtime-settings";
import type { SettlerOptions } from "../settler";
import { parseProxyConfig, ProxyConfigError, readProxyConfigFile, sectionOf, type ProxyConfig } from "./config";
import { createMeteringProxy } from "./server";
import { healthOf } from "../health";
import { pinTickObjectShape } from "../threads/tick-shape";
import { checkWorkerNice } from "../threads/start-worker";
import { LEASES_USAGE, leasesCommand, LeasesCommandError } from "./leases-command";

function fail(msg: string): never {
  throw new ProxyConfigError(`proxy config: ${msg}`);
}

const GATE_NUMBERS = [
  "keyRefreshMs",
  "revocationCheckMs",
  "unknownKeyTtlMs",
  "maxCachedKeys",
  "maxPendingKeyLookups",
  "maxChainStalenessMs",
  "baseFeeHorizonMs",
  "periodEdgeMs",
  "maxUnits",
  "instanceShareBps",
] as const;
const SETTLER_NUMBERS = ["flushIntervalMs", "maxRecordsPerBatch", "maxTeamsPerTx", "minBatchIntervalMs", "tickMs", "compactEveryMs"] as const;

function amount(v: unknown, name: string): bigint {
  if (typeof v !== "string" || !/^\d+$/.test(v)) fail(`${name} must be a string of base units, e.g. "1000000"`);
  return BigInt(v);
}

/** The gate options a config file may set (numbers, the outage mode, amounts as decimal strings). */
export function gateOptionsFrom(raw: Record<string, unknown>): Partial<GateOptions> {
  const g = sectionOf(raw, "gateOptions");
  const out: Partial<GateOptions> = {};
  for (const [k, v] of Object.entries(g)) {
    if ((GATE_NUMBERS as readonly string[]).includes(k)) {
      if (typeof v !== "number") fail(`gateOptions.${k} must be a number`);
      (out as Record<string, unknown>)[k] = v;
    } else if (k === "onChainUnavailable") {
      if (v !== "deny" && v !== "allow-up-to") fail('gateOptions.onChainUnavailable must be "deny" or "allow-up-to"');
      out.onChainUnavailable = v;
    } else if (k === "rateLimitHeaders") {
      if (v !== "refusals" && v !== "always") fail('gateOptions.rateLimitHeaders must be "refusals" or "always"');
      out.rateLimitHeaders = v;
    } else if (k === "staleAllowance") {
      out.staleAllowance = amount(v, "gateOptions.staleAllowance");
    } else if (k === "network") {
      if (typeof v !== "string") fail("gateOptions.network must be a string");
      out.network = v;
    } else if (k === "rateLimits") {
      const ok =
        Array.isArray(v) &&
        v.every((l) => typeof l === "object" && l !== null && typeof l.ratePerSec === "number" && typeof l.burst === "number");
      if (!ok) fail("gateOptions.rateLimits must be an array of { ratePerSec, burst } per tier id");
      out.rateLimits = (v as { ratePerSec: number; burst: number }[]).map((l) => ({ ratePerSec: l.ratePerSec, burst: l.burst }));
    } else {
      fail(`gateOptions.${k} is not an option`);
    }
  }
  return out;
}

export function settlerOptionsFrom(raw: Record<string, unknown>): Partial<SettlerOptions> {
  const s = sectionOf(raw, "settler");
  const out: Partial<SettlerOptions> = {};
  for (const [k, v] of Object.entries(s)) {
    if ((SETTLER_NUMBERS as readonly string[]).includes(k)) {
      if (typeof v !== "number") fail(`settler.${k} must be a number`);
      (out as Record<string, unknown>)[k] = v;
    } else if (k === "flushCost") {
      out.flushCost = amount(v, "settler.flushCost");
    } else {
      fail(`settler.${k} is not an option`);
    }
  }
  return out;
}

export function workerNiceFrom(raw: Record<string, unknown>): number | undefined {
  const w = sectionOf(raw, "workers", ["nice"]);
  if (w.nice === undefined) return undefined;
  try {
    return checkWorkerNice(w.nice);
  } catch (err) {
    fail(`workers.nice: ${(err as Error).message}`);
  }
}

/** The balanceLeases section: absent or false (fixed shares), true (defaults) or its settings. */
export function balanceLeasesFrom(raw: Record<string, unknown>): BalanceLeaseSettings | undefined {
  const v = raw.balanceLeases;
  if (v === undefined || v === false) return undefined;
  if (v === true) return {};
  const l = sectionOf(raw, "balanceLeases");
  const out: BalanceLeaseSettings = {};
  for (const [k, x] of Object.entries(l)) {
    if (k === "instance") {
      if (typeof x !== "string") fail("balanceLeases.instance must be a string");
      out.instance = x;
    } else if (k === "renewMs" || k === "ttlMs") {
      if (typeof x !== "number") fail(`balanceLeases.${k} must be a number`);
      out[k] = x;
    } else fail(`balanceLeases.${k} is not an option`);
  }
  return out;
}

/** `section.key` when present: a string, else refused. */
function text(o: Record<string, unknown>, key: string, where: string): string | undefined {
  const v = o[key];
  if (v !== undefined && typeof v !== "string") fail(`${where}.${key} must be a string`);
  return v;
}

/** `section.key` when present: a non-negative number, else refused. */
function count(o: Record<string, unknown>, key: string, where: string): number | undefined {
  const v = o[key];
  if (v !== undefined && !(typeof v === "number" && Number.isFinite(v) && v >= 0)) fail(`${where}.${key} must be a non-negative number`);
  return v;
}

/** What the usageLog, ledger, chain and indexer sections set. */
export interface RuntimeSections {
  sources: { rpcUrl?: string; wsUrl?: string; billingAuthorityFile?: string; programId?: string; ledgerUrl?: string };
  usageLogDir?: string;
  durability?: "fsync" | "write";
  maxGroupWaitMs?: number;
  balancesPollMs?: number;
  indexer: false | { pollMs?: number };
}

/** The usageLog, ledger, chain and indexer sections (each optional; unknown keys and wrong types refused). */
export function runtimeSectionsFrom(raw: Record<string, unknown>): RuntimeSections {
  const usageLog = sectionOf(raw, "usageLog", ["dir", "durability", "maxGroupWaitMs"]);
  const durability = usageLog.durability;
  if (durability !== undefined && durability !== "fsync" && durability !== "write") fail('usageLog.durability must be "fsync" or "write"');
  const ledger = sectionOf(raw, "ledger", ["url"]);
  const chain = sectionOf(raw, "chain", ["rpcUrl", "wsUrl", "programId", "billingAuthority", "pollMs"]);
  let indexer: false | { pollMs?: number } = {};
  if (raw.indexer === false) indexer = false;
  else if (raw.indexer !== true) {
    const i = sectionOf(raw, "indexer", ["pollMs"]);
    indexer = { pollMs: count(i, "pollMs", "indexer") };
  }
  return {
    sources: {
      rpcUrl: text(chain, "rpcUrl", "chain"),
      wsUrl: text(chain, "wsUrl", "chain"),
      billingAuthorityFile: text(chain, "billingAuthority", "chain"),
      programId: text(chain, "programId", "chain"),
      ledgerUrl: text(ledger, "url", "ledger"),
    },
    usageLogDir: text(usageLog, "dir", "usageLog"),
    durability: durability as "fsync" | "write" | undefined,
    maxGroupWaitMs: count(usageLog, "maxGroupWaitMs", "usageLog"),
    balancesPollMs: count(chain, "pollMs", "chain"),
    indexer,
  };
}

async function startRuntime(cfg: ProxyConfig, env: NodeJS.ProcessEnv): Promise<GatewayRuntime> {
  const { sources, ...runtime } = runtimeSectionsFrom(cfg.raw);
  return startRuntimeFromSettings(
    sources,
    {
      ...runtime,
      gate: gateOptionsFrom(cfg.raw),
      settler: settlerOptionsFrom(cfg.raw),
      workerNice: workerNiceFrom(cfg.raw),
      balanceLeases: balanceLeasesFrom(cfg.raw),
    },
    env,
  );
}

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (argv[0] === "leases") {
    try {
      await leasesCommand(argv.slice(1), env, (line) => console.log(line));
      process.exit(0);
    } catch (err) {
      console.error(err instanceof Error ? err.message : String(err));
      process.exit(err instanceof LeasesCommandError ? 2 : 1);
    }
  }
  const at = argv.indexOf("--config");
  if (at < 0 || !argv[at + 1]) {
    console.error(`usage: npm run gateway -- --config <file.json>\n       ${LEASES_USAGE.slice("usage: ".length)}`);
    process.exit(2);
  }
  const cfg = parseProxyConfig(await readProxyConfigFile(argv[at + 1]!));
  pinTickObjectShape(); // gate on or off: see threads/tick-shape.ts
  const runtime = cfg.gate ? await startRuntime(cfg, env) : null;
  const server = createMeteringProxy({
    gate: runtime?.gate ?? null,
    routes: cfg.routes,
    upstreamAgent: cfg.upstreamAgent,
    // Without the gate there is nothing in the background to fail: alive is healthy.
    health: cfg.health === null ? null : { path: cfg.health, report: () => (runtime ? healthOf(runtime, Date.now()) : { status: "ok" }) },
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(cfg.listen.port, cfg.listen.host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  console.log(
    JSON.stringify({
      event: "listening",
      url: `http://${cfg.listen.host}:${port}`,
      gate: cfg.gate,
      routes: cfg.routes.length,
      ...(runtime ? { clients: runtime.mode } : {}),
      ...(runtime?.leases ? { leaseInstance: runtime.leases.instance } : {}),
    }),
  );

  // Background failures (chain polls, settlement, indexing, key refresh) are logged when they change.
  if (runtime) {
    const last = new Map<string, string>();
    const watch = setInterval(() => {
      const errors: Record<string, unknown> = {
        balances: runtime.balances.lastError,
        settler: runtime.settler.lastError,
        indexer: runtime.indexer?.lastError ?? null,
        keys: runtime.gate.keys.lastBackgroundError,
        ...(runtime.leases ? { leases: runtime.leases.lastError } : {}),
      };
      const b = runtime.balances;
      if (b.pollStartedAt !== null && Date.now() - b.pollStartedAt > 5_000) {
        console.log(JSON.stringify({ event: "chain_poll_slow", runningMs: Date.now() - b.pollStartedAt, lastPollMs: b.lastPollMs }));
      }
      for (const [component, err] of Object.entries(errors)) {
        const message = err == null ? "" : err instanceof Error ? err.message : String(err);
        if (message !== (last.get(component) ?? "")) {
          last.set(component, message);
          console.log(JSON.stringify(message ? { event: "background_error", component, message } : { event: "background_ok", component }));
        }
      }
    }, 2_000);
    watch.unref();
    const statusMs = Number(env.GATEWAY_STATUS_MS ?? 0);
    if (statusMs > 0) {
      // Event-loop delay over each interval (ms): stalls show up in every request's latency.
      const loopDelay = monitorEventLoopDelay({ resolution: 1 });
      loopDelay.enable();
      setInterval(() => {
        const delay = { p50: loopDelay.percentile(50) / 1e6, p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 };
        loopDelay.reset();
        const b = runtime.balances;
        const ages = b.teams().map((t) => {
          const s = b.peek(t);
          return s ? Date.now() - s.observedAtMs : null;
        });
        console.log(
          JSON.stringify({
            event: "status",
            served: runtime.gate.stats.committed,
            chainAgesMs: ages,
            polls: b.polls,
            lastPollMs: b.lastPollMs,
            unsettled: runtime.log.unsettled,
            loopDelayMs: { p50: Math.round(delay.p50 * 10) / 10, p99: Math.round(delay.p99 * 10) / 10, max: Math.round(delay.max * 10) / 10 },
            logGroups: runtime.log.groupsWritten,
            logLines: runtime.log.linesWritten,
            settledUnits: String(runtime.settler.settledUnits),
            // Batches given back because another gateway's settler held their batch_seq (several instances).
            batchesGivenBack: runtime.settler.givenBack,
            // Balance leases: the share (bps) this instance admits against, per team.
            ...(runtime.leases ? { leaseShares: Object.fromEntries([...runtime.leases.held()].map(([team, l]) => [team, l.using])) } : {}),
          }),
        );
      }, statusMs).unref();
    }
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(JSON.stringify({ event: "stopping", signal }));
    await new Promise<void>((r) => server.close(() => r()));
    await runtime?.close();
    const unsettled = runtime?.log.unsettled ?? 0;
    // Usage left unsettled is settled at the next start; say why it could not be now.
    const why = unsettled > 0 && runtime?.settler.lastError != null ? { settlerError: String((runtime.settler.lastError as Error).message ?? runtime.settler.lastError) } : {};
    console.log(JSON.stringify({ event: "stopped", served: runtime?.gate.stats.committed ?? 0, unsettled, ...why }));
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  });
}
