// The async context the Next.js binding starts its gate in. The gate starts on the first billed request, so
// whatever it schedules (settlement, the chain and ledger clients, their timers, sockets and fetches) would
// inherit that request's context: Next's stores (work, work unit, action) would stay set in every background
// callback for the life of the process, Next's patched fetch would handle each settlement call as part of
// that request, and the request's objects would never be freed. prepareBilling(), called from the app's
// instrumentation.ts register() — once per server, before any request — captures a context without them.
//
// A module of its own with nothing heavy to load: instrumentation.ts imports it at server start.
import { AsyncLocalStorage } from "node:async_hooks";

/** Where the context is kept: on globalThis, shared by every bundle's copy of the gateway modules. */
const OUTSIDE_REQUESTS = Symbol.for("prepaid-billing.gateway.next.outside-requests");

/** Runs `fn` in a captured async context (AsyncLocalStorage.snapshot()). */
type ContextRunner = <R>(fn: () => R) => R;

const slot = () => globalThis as unknown as Record<symbol, ContextRunner | undefined>;

/**
 * Call from the app's instrumentation.ts register(): the gate, when it starts, runs its background work
 * outside request contexts. Starts nothing itself (startBilling() in next.ts does); a later call keeps the
 * first context.
 */
export function prepareBilling(): void {
  slot()[OUTSIDE_REQUESTS] ??= AsyncLocalStorage.snapshot() as ContextRunner;
}

/** `fn()`, run in prepareBilling()'s context when it was called, else in the caller's. */
export function outsideRequests<R>(fn: () => R): R {
  const outside = slot()[OUTSIDE_REQUESTS];
  return outside ? outside(fn) : fn();
}
