// The standalone metering reverse proxy: puts prepaid billing in front of any HTTP API.
//
//   client ─► route ─► gate.admit ─► upstream (keep-alive agent) ─► status charged?
//                                                                   ├─ yes: usage committed, then the response
//                                                                   └─ no:  reservation released, response as is
//
// The usage entry is durable before the first byte of the upstream response is passed on. The API key
// headers are not forwarded; X-Request-Id is. With no gate (`gate: null`) the same code forwards without
// metering, so the two can be compared.
import http from "node:http";
import { HEADER, type Admission, type Gate } from "../gate";
import { REFUSALS, REFUSAL_MESSAGES, type RefusalCode } from "../errors";
import { chargeServed, unchargedHeaders, type ChargePolicy } from "../adapters/fetch";
import { apiKeyFromValues, userIdFromValue } from "../request";
import { RouteTable, type ProxyConfig, type ProxyRoute } from "./config";
import { healthHttpStatus, type HealthStatus } from "../health";

export interface MeteringProxyOptions {
  /** null: forward without metering. */
  gate: Gate | null;
  routes: readonly ProxyRoute[];
  upstreamAgent?: ProxyConfig["upstreamAgent"];
  /** Default chargeServed: upstream 2xx and 3xx are charged. */
  charge?: ChargePolicy;
  /** A GET (or HEAD) of its path answers the gateway's health, never forwarded. Default none. */
  health?: HealthRoute | null;
}

export interface HealthRoute {
  path: string;
  /** The answer, as JSON: at least a status (health.ts Health, or just "ok" without a gate). */
  report: () => { status: HealthStatus };
}

/** Request headers that are not forwarded: hop-by-hop ones and the billing key. */
const DROP_REQUEST = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "host",
  "authorization",
  "x-api-key",
]);
/** Hop-by-hop response headers (RFC 9110 §7.6.1), lowercased. */
const DROP_RESPONSE = new Set(["connection", "keep-alive", "proxy-authenticate", "te", "trailer", "transfer-encoding", "upgrade"]);

function copyHeaders(from: http.IncomingHttpHeaders, drop: Set<string>): http.OutgoingHttpHeaders {
  const extra = new Set(
    String(from.connection ?? "")
      .split(",")
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean),
  );
  const out: http.OutgoingHttpHeaders = {};
  for (const name in from) {
    if (drop.has(name) || extra.has(name)) continue;
    const v = from[name];
    if (v !== undefined) out[name] = v;
  }
  return out;
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function sendCode(res: http.ServerResponse, code: RefusalCode, headers: Record<string, string> = {}, extra: Record<string, string> = {}): void {
  sendJson(res, REFUSALS[code], { error: code, message: REFUSAL_MESSAGES[code], ...extra }, headers);
}

function unitsOf(route: ProxyRoute, req: http.IncomingMessage): number {
  if (typeof route.units === "number") return route.units;
  const s = first(req.headers[route.units.header]);
  return s !== undefined && /^\d+$/.test(s) ? Number(s) : Number.NaN; // the gate answers 422 for NaN
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** One request on its way upstream (kept so it can be resent once, see send). */
interface UpstreamCall {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  route: ProxyRoute;
  url: string;
  headers: http.OutgoingHttpHeaders;
  admission: Admission | null;
  up: http.ClientRequest | null;
}

/** Errors of a reused connection the upstream had already closed. */
const RETRYABLE = new Set(["ECONNRESET", "EPIPE"]);

/** A request whose body is empty: it has been read whole by the time its upstream request fails. */
function hasNoBody(req: http.IncomingMessage): boolean {
  const len = req.headers["content-length"];
  return req.headers["transfer-encoding"] === undefined && (len === undefined || len === "0") && req.readableEnded;
}

/**
 * The headers the gate may put on a served answer, lowercased: on a metered answer the upstream's own of these
 * names are dropped, so they never pass for the gate's, also the X-RateLimit-* ones the gate leaves off a
 * success by default (an upstream's Retry-After still goes through).
 */
const GATE_HEADER_NAMES = new Set(
  [HEADER.requestId, HEADER.limit, HEADER.remaining, HEADER.reset, HEADER.cost, HEADER.available].map((name) => name.toLowerCase()),
);

/**
 * The upstream answer's headers as the flat [name, value, …] list writeHead takes, read from rawHeaders (no
 * headers object is built, and repeated ones such as Set-Cookie stay as they came): without hop-by-hop ones
 * (those of DROP_RESPONSE and any the Connection header names) and, when `metered`, without the gate's
 * names; then `gateHeaders`.
 */
function responseHeaders(upRes: http.IncomingMessage, gateHeaders: Readonly<Record<string, string>>, metered: boolean): string[] {
  const raw = upRes.rawHeaders;
  let listed: Set<string> | null = null;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.length === 10 && raw[i]!.toLowerCase() === "connection") {
      for (const token of raw[i + 1]!.split(",")) (listed ??= new Set()).add(token.trim().toLowerCase());
    }
  }
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (DROP_RESPONSE.has(name) || listed?.has(name) || (metered && GATE_HEADER_NAMES.has(name))) continue;
    out.push(raw[i]!, raw[i + 1]!);
  }
  for (const name in gateHeaders) out.push(name, gateHeaders[name]!);
  return out;
}

/** Writes the upstream response on: status, its headers plus `gateHeaders` (none when not metered), then the body. */
function passOn(res: http.ServerResponse, upRes: http.IncomingMessage, status: number, gateHeaders: Readonly<Record<string, string>>, metered: boolean): void {
  res.writeHead(status, upRes.statusMessage, responseHeaders(upRes, gateHeaders, metered));
  upRes.pipe(res);
  upRes.on("error", () => res.destroy()); // upstream died mid-body: the client must see a cut-off
}

/**
 * The proxy's request path. Written as methods and inline callbacks, not per-request named closures:
 * run from the sources under tsx (tests; `npm run gateway` runs the compiled proxy, gateway/build.ts)
 * every named closure costs an Object.defineProperty of its name, per request.
 */
class MeteringProxy {
  private readonly gate: Gate | null;
  private readonly table: RouteTable;
  private readonly charge: ChargePolicy;
  private readonly health: HealthRoute | null;
  readonly agent: http.Agent;

  constructor(options: MeteringProxyOptions) {
    this.gate = options.gate;
    this.health = options.health ?? null;
    this.table = new RouteTable(options.routes);
    this.charge = options.charge ?? chargeServed;
    const agentOpts = options.upstreamAgent ?? { maxSockets: 256, keepAliveMsecs: 1000 };
    this.agent = new http.Agent({ keepAlive: true, maxSockets: agentOpts.maxSockets, keepAliveMsecs: agentOpts.keepAliveMsecs });
  }

  handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const path = q < 0 ? url : url.slice(0, q);
    if (this.health !== null && path === this.health.path) return this.answerHealth(req, res);
    const m = this.table.match(req.method ?? "GET", path);
    if (m.kind !== "found") {
      sendJson(res, m.kind === "method" ? 405 : 404, {
        error: m.kind === "method" ? "method_not_allowed" : "not_found",
        message: m.kind === "method" ? "method not allowed on this route" : "no route for this path",
      });
      req.resume();
      return;
    }
    const route = m.route;
    const gate = this.gate;
    if (gate === null) return this.forward(req, res, route, url, null);

    const h = req.headers;
    const input = {
      key: apiKeyFromValues(first(h.authorization), first(h["x-api-key"])),
      userId: userIdFromValue(first(h["x-user-id"])),
      endpoint: route.endpoint,
      units: unitsOf(route, req),
    };
    const now = gate.admitNow(input);
    if (now !== undefined) return this.admitted(req, res, route, url, now);
    gate.admit(input).then(
      (a) => this.admitted(req, res, route, url, a),
      (err: unknown) => failed(res, err),
    );
  }

  private answerHealth(req: http.IncomingMessage, res: http.ServerResponse): void {
    req.resume();
    if (req.method !== "GET" && req.method !== "HEAD") {
      return sendJson(res, 405, { error: "method_not_allowed", message: "the health path answers GET and HEAD" }, { allow: "GET, HEAD" });
    }
    const report = this.health!.report();
    sendJson(res, healthHttpStatus(report), report, { "cache-control": "no-store" });
  }

  private admitted(req: http.IncomingMessage, res: http.ServerResponse, route: ProxyRoute, url: string, a: Admission): void {
    if (!a.ok) {
      sendJson(res, a.status, a.body, a.headers);
      req.resume();
      return;
    }
    this.forward(req, res, route, url, a);
  }

  private forward(req: http.IncomingMessage, res: http.ServerResponse, route: ProxyRoute, url: string, admission: Admission | null): void {
    const headers = copyHeaders(req.headers, DROP_REQUEST);
    if (admission !== null) headers["x-request-id"] = admission.requestId;
    headers.host = route.upstream.host;
    const call: UpstreamCall = { req, res, route, url, headers, admission, up: null };
    // Client went away before the upstream answered: not served.
    res.on("close", () => {
      if (!res.writableFinished) {
        call.up?.destroy();
        admission?.ticket?.release();
      }
    });
    this.send(call, false);
  }

  /** Sends (or, once, resends) the upstream request of `call`. */
  private send(call: UpstreamCall, retry: boolean): void {
    const { req, res, route, admission } = call;
    const up = http.request({
      protocol: "http:",
      hostname: route.upstream.hostname,
      port: route.upstream.port || 80,
      method: req.method,
      path: call.url,
      headers: call.headers,
      agent: this.agent,
    });
    call.up = up;
    up.on("error", (err: NodeJS.ErrnoException) => {
      // A kept-alive connection the upstream closed as this request went out: nothing reached the
      // upstream's handler, so a request without a body is sent once more on a fresh connection.
      if (!retry && up.reusedSocket && RETRYABLE.has(err.code ?? "") && hasNoBody(req) && !res.headersSent && !res.destroyed) {
        // After the agent has dropped the dead connection; not when the client left meanwhile.
        setImmediate(() => {
          if (!res.destroyed) this.send(call, true);
        });
        return;
      }
      admission?.ticket?.release();
      sendCode(res, "bad_gateway", admission ? unchargedHeaders(admission.headers) : {}, { detail: err.code ?? err.message });
    });
    up.on("response", (upRes) => this.respond(res, upRes, admission));
    if (retry) up.end();
    else req.pipe(up);
  }

  private respond(res: http.ServerResponse, upRes: http.IncomingMessage, admission: Admission | null): void {
    const status = upRes.statusCode ?? 502;
    const ticket = admission?.ticket ?? null;
    if (ticket === null || admission === null) return passOn(res, upRes, status, {}, false);
    if (!this.charge(status)) {
      ticket.release();
      return passOn(res, upRes, status, unchargedHeaders(admission.headers), true);
    }
    ticket.commitThen((err) => {
      if (err === null) return passOn(res, upRes, status, admission.headers, true);
      upRes.destroy();
      sendCode(res, "usage_log_unavailable", { ...unchargedHeaders(admission.headers), [HEADER.retryAfter]: "1" });
    });
  }
}

function failed(res: http.ServerResponse, err: unknown): void {
  sendCode(res, "internal_error");
  process.emitWarning(`metering proxy: ${err instanceof Error ? err.stack : String(err)}`);
}

export function createMeteringProxy(options: MeteringProxyOptions): http.Server {
  const proxy = new MeteringProxy(options);
  const server = http.createServer((req, res) => {
    try {
      proxy.handle(req, res);
    } catch (err) {
      failed(res, err);
    }
  });
  server.on("close", () => proxy.agent.destroy());
  return server;
}
