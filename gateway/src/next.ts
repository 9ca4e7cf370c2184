// withBilling and apiBillingMiddleware for Next.js route handlers, bound to the process's gate.
//
//   // app/api/v1/verify/route.ts
//   export const POST = withBilling(verify, { endpoint: "/api/v1/verify", units: 1 });
//
// The gate is created on first use, once per process (kept on globalThis so module re-evaluation in
// development does not open a second usage log): by default a full gateway runtime from the environment —
// SOLANA_RPC_URL, BILLING_AUTHORITY_KEYPAIR (keypair file, required), PREPAID_BILLING_PROGRAM_ID,
// CONVEX_URL / LEDGER_URL + LEDGER_SERVER_SECRET, GATEWAY_USAGE_DIR (default .data/gateway/app-usage),
// GATEWAY_NETWORK (named in PAYMENT-REQUIRED), GATEWAY_RATE_LIMIT_HEADERS=always (X-RateLimit-* on successes
// too, GateOptions.rateLimitHeaders), GATEWAY_INSTANCE_SHARE_BPS (GateOptions.instanceShareBps, when
// other gateways with their own usage logs serve the same teams), GATEWAY_BALANCE_LEASES=1 (those shares leased
// from the ledger instead, balance/leases.ts; GATEWAY_INSTANCE_ID names the instance, default the id kept in
// the usage log's directory), GATEWAY_WORKERS_DIR (the compiled gateway
// workers, gateway/build.ts: without it settlement and the chain and ledger clients share the request thread,
// since a worker's sources cannot be loaded from inside the bundle). configureBilling() replaces that (tests,
// custom wiring).
// Gate in the route handler, never in proxy.ts (facts-platform.md: the proxy layer halves throughput).
// The gate starts with the first billed request, or at server start when the app's instrumentation.ts calls
// startBilling(); outside request contexts once it has called prepareBilling() (next-context.ts).
import path from "node:path";
import {
  fetchBilling,
  refusalResponse,
  type BilledHandler,
  type BillingRoute,
  type FetchBilling,
  type MiddlewareResult,
  type UnitsSpec,
} from "./adapters/fetch";
import type { Admission, Gate } from "./gate";
import { REFUSALS, REFUSAL_MESSAGES } from "./errors";
import { GatewaySettingsError, startRuntimeFromSettings } from "./runtime-settings";
import { outsideRequests } from "./next-context";
import { healthOf, type Health, type HealthStatus } from "./health";

export { prepareBilling } from "./next-context";

export interface BillingBinding {
  gate: Gate;
  /** Releases what the binding holds (the runtime: settle, close the log). */
  close?(): Promise<void>;
  /** Requests not settled yet (the runtime's usage log). */
  unsettled?(): number;
  /** Where the runtime's chain and ledger clients run: "io-thread" (a worker thread) or "in-process" (the request thread). */
  clients?: string;
  /** The runtime's health (health.ts); without it the gate is reported healthy while it runs. */
  health?(): Health;
}

/** The gate's counters and unsettled usage, or null before the gate started (for health and benchmarks). */
export async function billingStats(): Promise<{ served: number; refused: number; unsettled: number | null; clients: string | null } | null> {
  const b = holder().binding;
  if (b === null) return null;
  const binding = await b.catch(() => null);
  if (binding === null) return null;
  return { served: binding.gate.stats.committed, refused: binding.gate.stats.refused, unsettled: binding.unsettled?.() ?? null, clients: binding.clients ?? null };
}

/**
 * The billing gate's health for a health route, without waiting: the runtime's (health.ts) once started; "ok"
 * with billing "idle" before its first start (it starts with the first paid request, or at server start) and
 * "starting" during it (paid requests wait for it); "unavailable" with billing "failed" when its last start
 * failed (paid requests then get 503 until one starts it).
 */
export function billingHealth(): { status: HealthStatus; billing: "running" | "starting" | "idle" | "failed"; gate?: Health } {
  const h = holder();
  if (h.ready !== null) {
    const gate = h.ready.health?.();
    return gate === undefined ? { status: "ok", billing: "running" } : { status: gate.status, billing: "running", gate };
  }
  if (h.binding !== null) return { status: "ok", billing: "starting" };
  return h.lastStartFailed ? { status: "unavailable", billing: "failed" } : { status: "ok", billing: "idle" };
}

type Factory = () => Promise<BillingBinding>;

interface Holder {
  factory: Factory;
  binding: Promise<BillingBinding> | null;
  adapter: FetchBilling | null;
  /** The binding once started. */
  ready: BillingBinding | null;
  /** Whether the last attempt to start the binding failed (none has succeeded since). */
  lastStartFailed: boolean;
}

const HOLDER = Symbol.for("prepaid-billing.gateway.next");

/** The runtime from the environment (see the top of this file). */
export const bindingFromEnv: Factory = async () => {
  const leased = process.env.GATEWAY_BALANCE_LEASES;
  if (leased !== undefined && leased !== "0" && leased !== "1") throw new GatewaySettingsError(`GATEWAY_BALANCE_LEASES must be 1 or 0, got ${JSON.stringify(leased)}`);
  const rateHeaders = process.env.GATEWAY_RATE_LIMIT_HEADERS;
  if (rateHeaders !== undefined && rateHeaders !== "refusals" && rateHeaders !== "always") {
    throw new GatewaySettingsError(`GATEWAY_RATE_LIMIT_HEADERS must be refusals or always, got ${JSON.stringify(rateHeaders)}`);
  }
  const runtime = await startRuntimeFromSettings(
    {},
    {
      usageLogDir: process.env.GATEWAY_USAGE_DIR ?? path.join(".data", "gateway", "app-usage"),
      gate: {
        ...(process.env.GATEWAY_NETWORK ? { network: process.env.GATEWAY_NETWORK } : {}),
        ...(process.env.GATEWAY_INSTANCE_SHARE_BPS ? { instanceShareBps: Number(process.env.GATEWAY_INSTANCE_SHARE_BPS) } : {}),
        ...(rateHeaders !== undefined ? { rateLimitHeaders: rateHeaders } : {}),
      },
      ...(leased === "1"
        ? { balanceLeases: process.env.GATEWAY_INSTANCE_ID ? { instance: process.env.GATEWAY_INSTANCE_ID } : {} }
        : {}),
    },
  );
  return {
    gate: runtime.gate,
    close: () => runtime.close(),
    unsettled: () => runtime.log.unsettled,
    clients: runtime.mode,
    health: () => healthOf(runtime, Date.now()),
  };
};

function holder(): Holder {
  const g = globalThis as unknown as Record<symbol, Holder | undefined>;
  g[HOLDER] ??= { factory: bindingFromEnv, binding: null, adapter: null, ready: null, lastStartFailed: false };
  return g[HOLDER];
}

/** Uses `factory` for the gate from now on (closing a binding made before). */
export async function configureBilling(factory: Factory): Promise<void> {
  const h = holder();
  const old = h.binding;
  h.factory = factory;
  h.binding = null;
  h.adapter = null;
  h.ready = null;
  h.lastStartFailed = false;
  if (old) await (await old.catch(() => null))?.close?.();
}

async function adapter(): Promise<FetchBilling> {
  const h = holder();
  if (h.adapter) return h.adapter;
  h.binding ??= outsideRequests(h.factory).then(
    (binding) => {
      h.ready = binding;
      h.lastStartFailed = false;
      return binding;
    },
    (err: unknown) => {
      h.binding = null; // a later request tries again
      h.lastStartFailed = true;
      throw err;
    },
  );
  const { gate, clients } = await h.binding;
  if (h.adapter === null) {
    h.adapter = fetchBilling(gate);
    // For the operator: "in-process" means settlement shares the request thread (GATEWAY_WORKERS_DIR unset).
    if (clients !== undefined) console.log(`billing gate started (chain and ledger clients: ${clients})`);
  }
  return h.adapter;
}

/**
 * Starts the gate now rather than with the first billed request: from instrumentation.ts register(), after
 * prepareBilling(), so that a restarted server replays its usage log and settles what it holds without
 * waiting for a paid request. False (logged) when it cannot start; the first billed request tries again.
 */
export async function startBilling(): Promise<boolean> {
  try {
    await adapter();
    return true;
  } catch (err) {
    console.error(`billing gate did not start: ${err instanceof Error ? err.message : String(err)} (the first billed request tries again)`);
    return false;
  }
}

/** The gate could not be started (misconfiguration, ledger or chain unreachable at start): 503, not charged. */
function unavailable(err: unknown): Response {
  const detail = err instanceof Error ? err.message : String(err);
  console.error(`billing gate unavailable: ${detail}`);
  return refusalResponse({
    status: REFUSALS.key_service_unavailable,
    body: { error: "key_service_unavailable", message: REFUSAL_MESSAGES.key_service_unavailable },
    headers: { "Retry-After": "5" },
  });
}

/** Wraps a route handler: admission, the handler, usage committed before the response, billing headers. */
export function withBilling<C = unknown>(handler: BilledHandler<C>, route: BillingRoute): (req: Request, ctx: C) => Promise<Response> {
  let boundTo: FetchBilling | null = null;
  let bound: ((req: Request, ctx: C) => Promise<Response>) | null = null;
  return async (req, ctx) => {
    let a = holder().adapter;
    if (a === null) {
      try {
        a = await adapter();
      } catch (err) {
        return unavailable(err);
      }
    }
    if (boundTo !== a || bound === null) {
      bound = a.withBilling(handler, route);
      boundTo = a;
    }
    return bound(req, ctx);
  };
}

/** Like MiddlewareResult; a refusal carries no admission when the gate itself could not start. */
export type NextMiddlewareResult =
  | Extract<MiddlewareResult, { ok: true }>
  | { ok: false; response: Response; admission: Admission | null };

/** The same steps for handlers that drive them: `if (!r.ok) return r.response; … return r.finish(res)`. */
export async function apiBillingMiddleware(req: Request, endpoint: string, units?: UnitsSpec): Promise<NextMiddlewareResult> {
  let a: FetchBilling;
  try {
    a = await adapter();
  } catch (err) {
    return { ok: false, response: unavailable(err), admission: null };
  }
  return a.apiBillingMiddleware(req, endpoint, units);
}
