// The dashboard's environment, read and validated in one place. Every server module asks `serverEnv()`
// instead of touching `process.env`, so a bad value fails at the first request with a message naming the
// variable, not deep inside a page.
//
// | variable            | default                                  | meaning |
// |---------------------|------------------------------------------|---------|
// | SOLANA_RPC_URL      | http://127.0.0.1:8899 (the local chain)  | JSON-RPC endpoint the server reads the chain from and submits signed transactions to |
// | SOLANA_CLUSTER      | localnet                                 | localnet, devnet or mainnet-beta: explorer links and the Wallet Standard chain id |
// | PREPAID_BILLING_PROGRAM_ID | the IDL's address                 | prepaid_billing program id |
// | SESSION_SECRET      | see lib/auth/secret.ts                   | HMAC key of session cookies, ≥ 32 characters |
// | SESSION_TTL_SECS    | 43200 (12 h)                             | lifetime of a session cookie, seconds |
// | COOKIE_SECURE       | auto (on for https requests)             | "1" forces the Secure flag, "0" drops it |
// | APP_DATA_DIR        | .data/app                                | where the embedded default keeps its generated session secret |
// | FAUCET_URL          | none                                     | the local chain's faucet (npm start): enables the local dev wallet on localnet |
// | CONVEX_URL / LEDGER_URL / LEDGER_PORT / LEDGER_SERVER_SECRET | read by ledger/client.ts | the ledger |
import * as path from "node:path";
import { PublicKey } from "@solana/web3.js";
import { PROGRAM_ID } from "../sdk/src/constants";

export const CLUSTERS = ["localnet", "devnet", "mainnet-beta"] as const;
export type Cluster = (typeof CLUSTERS)[number];

export interface ServerEnv {
  rpcUrl: string;
  cluster: Cluster;
  programId: PublicKey;
  /** Null when not set: lib/auth/secret.ts then decides (embedded default or refusal). */
  sessionSecret: string | null;
  sessionTtlSecs: number;
  cookieSecure: "auto" | boolean;
  appDataDir: string;
  /** True when the ledger is a Convex deployment (production), false for the embedded sidecar. */
  productionLedger: boolean;
  /** The local faucet; set only on localnet, where it enables the local dev wallet. */
  faucetUrl: string | null;
}

/** A variable holds a value the dashboard cannot run with. */
export class EnvError extends Error {
  readonly code = "invalid_environment";
  constructor(variable: string, problem: string) {
    super(`${variable} ${problem}`);
    this.name = "EnvError";
  }
}

type Env = Record<string, string | undefined>;

function httpUrl(env: Env, name: string, fallback: string): string {
  const raw = env[name]?.trim() || fallback;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new EnvError(name, `is not a URL: ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new EnvError(name, "must be an http(s) URL");
  return raw;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  if (!/^\d+$/.test(raw)) throw new EnvError(name, `must be a whole number, got ${JSON.stringify(raw)}`);
  const value = Number(raw);
  if (value < min || value > max) throw new EnvError(name, `must be between ${min} and ${max}`);
  return value;
}

/** Parses an environment (default `process.env`); throws EnvError naming the first bad variable. */
export function parseServerEnv(env: Env = process.env): ServerEnv {
  const cluster = (env.SOLANA_CLUSTER?.trim() || "localnet") as Cluster;
  if (!CLUSTERS.includes(cluster)) throw new EnvError("SOLANA_CLUSTER", `must be one of ${CLUSTERS.join(", ")}`);

  let programId = PROGRAM_ID;
  if (env.PREPAID_BILLING_PROGRAM_ID?.trim()) {
    try {
      programId = new PublicKey(env.PREPAID_BILLING_PROGRAM_ID.trim());
    } catch {
      throw new EnvError("PREPAID_BILLING_PROGRAM_ID", "is not a base58 public key");
    }
  }

  const sessionSecret = env.SESSION_SECRET?.trim() || null;
  if (sessionSecret !== null && sessionSecret.length < 32) throw new EnvError("SESSION_SECRET", "must be at least 32 characters");

  const secure = env.COOKIE_SECURE?.trim();
  if (secure !== undefined && secure !== "" && secure !== "0" && secure !== "1") throw new EnvError("COOKIE_SECURE", 'must be "0" or "1"');

  return {
    rpcUrl: httpUrl(env, "SOLANA_RPC_URL", "http://127.0.0.1:8899"),
    cluster,
    programId,
    sessionSecret,
    // 5 minutes to 30 days.
    sessionTtlSecs: integer(env, "SESSION_TTL_SECS", 12 * 3600, 300, 30 * 86_400),
    cookieSecure: secure === "1" ? true : secure === "0" ? false : "auto",
    appDataDir: path.resolve(/*turbopackIgnore: true*/ env.APP_DATA_DIR?.trim() || path.join(".data", "app")),
    productionLedger: Boolean(env.CONVEX_URL?.trim()),
    // A faucet (and a wallet whose key lives in the browser) makes sense on a local chain only.
    faucetUrl: cluster === "localnet" && env.FAUCET_URL?.trim() ? httpUrl(env, "FAUCET_URL", "") : null,
  };
}

const KEYS = [
  "SOLANA_RPC_URL",
  "SOLANA_CLUSTER",
  "PREPAID_BILLING_PROGRAM_ID",
  "SESSION_SECRET",
  "SESSION_TTL_SECS",
  "COOKIE_SECURE",
  "APP_DATA_DIR",
  "CONVEX_URL",
  "FAUCET_URL",
] as const;

let cached: { key: string; env: ServerEnv } | null = null;

/** The process environment, parsed again only when one of its variables changed (tests start services on free ports). */
export function serverEnv(): ServerEnv {
  const key = KEYS.map((k) => process.env[k] ?? "").join("\u0000");
  if (cached?.key !== key) cached = { key, env: parseServerEnv() };
  return cached.env;
}
