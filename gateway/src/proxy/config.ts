// Configuration of the standalone metering proxy (`npm run gateway -- --config <file>`), a JSON file:
//
// {
//   "listen": { "host": "127.0.0.1", "port": 8787 },
//   "routes": [
//     { "path": "/v1/verify", "methods": ["POST"], "upstream": "http://127.0.0.1:9000", "units": 1 },
//     { "path": "/v1/batch/", "prefix": true, "upstream": "http://127.0.0.1:9000",
//       "units": { "header": "x-batch-size" }, "endpoint": "/v1/batch" }
//   ],
//   "upstreamAgent": { "maxSockets": 256 },
//   "gate": true,
//   "health": "/healthz"
// }
//
// Routes are matched exactly, or by prefix with "prefix": true (longest match wins). `endpoint` (default:
// the route path) is the name usage is billed under. `units` is an integer, or read from a request header
// (the proxy never parses bodies). `gate: false` forwards without metering (same proxy code: the A/B of
// the benchmark). `health` (default "/healthz"; false for none) is the path whose GET answers the gateway's
// health (health.ts: 200, or 503 when it cannot serve paid requests): answered by the proxy, never forwarded,
// also under a prefix route; no exact route may have it. Sections read by main.ts (usage log, ledger, chain,
// gate options) are documented there. Keys outside CONFIG_SECTIONS, and unknown keys inside any section, are
// refused with the list of the keys it takes.
import { readFile } from "node:fs/promises";

export type RouteUnits = number | { header: string };

export interface ProxyRoute {
  path: string;
  prefix: boolean;
  /** Upper-case methods; empty = any. */
  methods: readonly string[];
  /** Origin the request is forwarded to (path and query kept). */
  upstream: URL;
  units: RouteUnits;
  endpoint: string;
}

export interface ProxyConfig {
  listen: { host: string; port: number };
  routes: ProxyRoute[];
  upstreamAgent: { maxSockets: number; keepAliveMsecs: number };
  gate: boolean;
  /** Path of the health answer, or null for none. */
  health: string | null;
  /** Everything else in the file, for main.ts (usage log, ledger, chain, gate options). */
  raw: Record<string, unknown>;
}

export class ProxyConfigError extends Error {
  readonly code = "invalid_config";
}

function fail(msg: string): never {
  throw new ProxyConfigError(`proxy config: ${msg}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Every top-level key a config file may have: this file's and main.ts's sections. Any other is refused, as
 * are unknown keys inside the sections: a misspelt key would otherwise fall back to its default unnoticed
 * (a route's "method" taking every method, a "usagelog" writing to the default directory).
 */
export const CONFIG_SECTIONS = [
  "listen",
  "routes",
  "upstreamAgent",
  "gate",
  "health",
  "usageLog",
  "ledger",
  "chain",
  "gateOptions",
  "settler",
  "indexer",
  "workers",
  "balanceLeases",
] as const;

/** Refuses keys of `o` outside `known`, naming `where` (e.g. "routes[0]"). */
function onlyKeys(o: Record<string, unknown>, known: readonly string[], where: string): void {
  for (const k of Object.keys(o)) {
    if (!known.includes(k)) fail(`${where}.${k} is not an option (${where} takes ${known.join(", ")})`);
  }
}

/**
 * An optional object section of `o`: {} when absent, refused when not an object, or (given `known`) when it
 * has a key outside `known`.
 */
export function sectionOf(o: Record<string, unknown>, key: string, known?: readonly string[]): Record<string, unknown> {
  const v = o[key];
  if (v === undefined) return {};
  if (!isObject(v)) fail(`${key} must be an object`);
  if (known !== undefined) onlyKeys(v, known, key);
  return v;
}

function parseRoute(r: unknown, i: number): ProxyRoute {
  if (!isObject(r)) fail(`routes[${i}] must be an object`);
  onlyKeys(r, ["path", "prefix", "methods", "upstream", "units", "endpoint"], `routes[${i}]`);
  if (r.prefix !== undefined && typeof r.prefix !== "boolean") fail(`routes[${i}].prefix must be true or false`);
  const path = r.path;
  if (typeof path !== "string" || !path.startsWith("/")) fail(`routes[${i}].path must be a string starting with "/"`);
  let upstream: URL;
  try {
    upstream = new URL(String(r.upstream));
  } catch {
    fail(`routes[${i}].upstream must be an http:// URL, got ${JSON.stringify(r.upstream)}`);
  }
  if (upstream.protocol !== "http:") fail(`routes[${i}].upstream must be an http:// URL`);
  const methods = r.methods ?? [];
  if (!Array.isArray(methods) || methods.some((m) => typeof m !== "string")) fail(`routes[${i}].methods must be strings`);
  const units = r.units ?? 1;
  if (typeof units === "number") {
    if (!Number.isInteger(units) || units < 1) fail(`routes[${i}].units must be a positive integer`);
  } else if (!isObject(units) || typeof units.header !== "string" || units.header === "" || Object.keys(units).length !== 1) {
    fail(`routes[${i}].units must be a positive integer or { "header": "<name>" }`);
  }
  const endpoint = r.endpoint ?? path;
  if (typeof endpoint !== "string" || endpoint === "") fail(`routes[${i}].endpoint must be a non-empty string`);
  return {
    path,
    prefix: r.prefix === true,
    methods: (methods as string[]).map((m) => m.toUpperCase()),
    upstream,
    units: typeof units === "number" ? units : { header: (units as { header: string }).header.toLowerCase() },
    endpoint,
  };
}

/** The config file's JSON; refuses a file it cannot read, or that is not JSON, naming the file and why. */
export async function readProxyConfigFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    fail(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    fail(`${file} is not valid JSON: ${(err as Error).message}`);
  }
}

export function parseProxyConfig(json: unknown): ProxyConfig {
  if (!isObject(json)) fail("must be a JSON object");
  for (const k of Object.keys(json)) {
    if (!(CONFIG_SECTIONS as readonly string[]).includes(k)) fail(`${k} is not a config section (known: ${CONFIG_SECTIONS.join(", ")})`);
  }
  const listen = sectionOf(json, "listen", ["host", "port"]);
  const host = listen.host ?? "127.0.0.1";
  const port = listen.port ?? 8787;
  if (typeof host !== "string") fail("listen.host must be a string");
  if (!Number.isInteger(port) || (port as number) < 0 || (port as number) > 65535) fail("listen.port must be 0..65535");
  if (!Array.isArray(json.routes) || json.routes.length === 0) fail("routes must be a non-empty array");
  const routes = json.routes.map(parseRoute);
  const agent = sectionOf(json, "upstreamAgent", ["maxSockets", "keepAliveMsecs"]);
  const maxSockets = agent.maxSockets ?? 256;
  const keepAliveMsecs = agent.keepAliveMsecs ?? 1000;
  if (!Number.isInteger(maxSockets) || (maxSockets as number) < 1) fail("upstreamAgent.maxSockets must be a positive integer");
  if (!Number.isInteger(keepAliveMsecs) || (keepAliveMsecs as number) < 1) fail("upstreamAgent.keepAliveMsecs must be a positive integer");
  if (json.gate !== undefined && typeof json.gate !== "boolean") fail("gate must be true or false");
  const health = json.health ?? "/healthz";
  if (health !== false && (typeof health !== "string" || !health.startsWith("/"))) fail('health must be a path starting with "/", or false');
  const shadowed = routes.findIndex((r) => !r.prefix && r.path === health);
  if (shadowed >= 0) fail(`routes[${shadowed}].path is the health path ${health}: give "health" another path, or false`);
  return {
    listen: { host, port: port as number },
    routes,
    upstreamAgent: { maxSockets: maxSockets as number, keepAliveMsecs: keepAliveMsecs as number },
    gate: json.gate !== false,
    health: health === false ? null : (health as string),
    raw: json,
  };
}

/** The route for a method and path: exact match first, then the longest prefix. */
export class RouteTable {
  private readonly exact = new Map<string, ProxyRoute[]>();
  private readonly prefixes: ProxyRoute[];

  constructor(routes: readonly ProxyRoute[]) {
    for (const r of routes.filter((r) => !r.prefix)) this.exact.set(r.path, [...(this.exact.get(r.path) ?? []), r]);
    this.prefixes = routes.filter((r) => r.prefix).sort((a, b) => b.path.length - a.path.length);
  }

  /** `found` when a route matches path and method; `method` when the path matches but not the method. */
  match(method: string, path: string): { kind: "found"; route: ProxyRoute } | { kind: "method" } | { kind: "none" } {
    let pathMatched = false;
    for (const r of this.exact.get(path) ?? []) {
      pathMatched = true;
      if (r.methods.length === 0 || r.methods.includes(method)) return { kind: "found", route: r };
    }
    for (const r of this.prefixes) {
      if (!path.startsWith(r.path)) continue;
      pathMatched = true;
      if (r.methods.length === 0 || r.methods.includes(method)) return { kind: "found", route: r };
    }
    return pathMatched ? { kind: "method" } : { kind: "none" };
  }
}
