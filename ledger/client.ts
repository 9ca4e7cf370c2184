// The one way servers reach the ledger: the unmodified `ConvexHttpClient`, pointed either at a
// Convex deployment (`CONVEX_URL`, production) or at the embedded sidecar on 127.0.0.1. Only the
// URL differs, so every business rule has exactly one implementation (convex/).
//
//   const ledger = createLedgerClient();                       // URL and secret from the environment
//   await ledger.as(wallet).mutation(api.teams.create, { name: "Acme" });      // a user's action
//   await ledger.server().query(api.apiKeys.resolveApiKey, { keyHash });       // server work
//
// `as(wallet)` and `server()` add the `auth` argument every public ledger function takes
// (`{ secret, wallet }` / `{ secret }`, see convex/README.md); the secret never leaves this module's
// callers' process except in the request to the ledger.
import { ConvexHttpClient } from "convex/browser";
import type { FunctionArgs, FunctionReference, FunctionReturnType } from "convex/server";
import { api } from "../convex/_generated/api";
import { httpStatusOf, ledgerErrorData, type LedgerErrorData } from "../convex/model/errors";

export { api, httpStatusOf, type LedgerErrorData };

/** Port the embedded sidecar listens on unless told otherwise. */
export const DEFAULT_SIDECAR_PORT = 3210;

export type LedgerMode = "convex" | "embedded";

export interface LedgerClientOptions {
  /** Ledger URL; default from the environment (see `resolveLedgerUrl`). */
  url?: string;
  /** Server secret; default `LEDGER_SERVER_SECRET`. */
  serverSecret?: string;
  /** A fetch implementation (default the global one). */
  fetch?: typeof fetch;
}

type Env = Record<string, string | undefined>;

/**
 * `CONVEX_URL` (a Convex deployment) when set; else `LEDGER_URL` (the embedded sidecar's URL, as
 * `npm start` sets it); else the sidecar's default address on 127.0.0.1.
 */
export function resolveLedgerUrl(env: Env = process.env): { url: string; mode: LedgerMode } {
  if (env.CONVEX_URL) return { url: env.CONVEX_URL, mode: "convex" };
  if (env.LEDGER_URL) return { url: env.LEDGER_URL, mode: "embedded" };
  return { url: `http://127.0.0.1:${env.LEDGER_PORT ?? DEFAULT_SIDECAR_PORT}`, mode: "embedded" };
}

/** Thrown when the client is built without a server secret. */
export class LedgerConfigError extends Error {
  readonly code = "ledger_not_configured";
}

type Ref<Kind extends "query" | "mutation" | "action"> = FunctionReference<Kind, "public">;
type WithoutAuth<F extends FunctionReference<"query" | "mutation" | "action", "public">> = Omit<
  FunctionArgs<F>,
  "auth"
>;

/** Calls with a fixed `auth` argument added. */
export interface ScopedLedger {
  query<F extends Ref<"query">>(fn: F, args: WithoutAuth<F>): Promise<FunctionReturnType<F>>;
  mutation<F extends Ref<"mutation">>(fn: F, args: WithoutAuth<F>): Promise<FunctionReturnType<F>>;
  action<F extends Ref<"action">>(fn: F, args: WithoutAuth<F>): Promise<FunctionReturnType<F>>;
}

export interface LedgerClient {
  readonly url: string;
  /** The underlying client, for calls whose arguments are built by hand. */
  readonly http: ConvexHttpClient;
  /** Acting as `wallet` (a session the server verified): `auth: { secret, wallet }`. */
  as(wallet: string): ScopedLedger;
  /** Server work without a user: `auth: { secret }`. */
  server(): ScopedLedger;
}

function scoped(http: ConvexHttpClient, auth: { secret: string; wallet?: string }): ScopedLedger {
  // The casts restore `auth`, which the scoped signatures leave out of the caller's arguments.
  return {
    query: (fn, args) => http.query(fn, { ...args, auth } as FunctionArgs<typeof fn>),
    mutation: (fn, args) => http.mutation(fn, { ...args, auth } as FunctionArgs<typeof fn>),
    action: (fn, args) => http.action(fn, { ...args, auth } as FunctionArgs<typeof fn>),
  };
}

export function createLedgerClient(options: LedgerClientOptions = {}): LedgerClient {
  const url = options.url ?? resolveLedgerUrl().url;
  const secret = options.serverSecret ?? process.env.LEDGER_SERVER_SECRET;
  if (!secret) {
    throw new LedgerConfigError("LEDGER_SERVER_SECRET is not set: the ledger refuses calls without it");
  }
  const http = new ConvexHttpClient(url, {
    skipConvexDeploymentUrlCheck: true,
    logger: false,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  return {
    url,
    http,
    as: (wallet) => scoped(http, { secret, wallet }),
    server: () => scoped(http, { secret }),
  };
}

/** The ledger's `{ code, message }` when `error` is one of its refusals, else null. */
export function ledgerErrorOf(error: unknown): LedgerErrorData | null {
  return ledgerErrorData(error);
}
