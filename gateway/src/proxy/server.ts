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
import { HEADER, UsageLogUnavailableError, type Admission, type Gate } from "../gate";
import { REFUSALS, REFUSAL_MESSAGES, type RefusalCode } from "../errors";
import { chargeServed, unchargedHeaders, type ChargePolicy } from "../adapters/fetch";
import { apiKeyFrom, userIdFrom } from "../request";
import { RouteTable, type ProxyConfig, type ProxyRoute } from "./config";

export interface MeteringProxyOptions {
  /** null: forward without metering. */
  gate: Gate | null;
  routes: readonly ProxyRoute[];
  upstreamAgent?: ProxyConfig["upstreamAgent"];
  /** Default chargeServed: upstream 2xx and 3xx are charged. */
  charge?: ChargePolicy;
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

function sendCode(res: http.ServerResponse, code: RefusalCode, headers: Record<string, string> = {}): void {
  sendJson(res, REFUSALS[code], { error: code, message: REFUSAL_MESSAGES[code] }, headers);
}

function unitsOf(route: ProxyRoute, req: http.IncomingMessage): number {
  if (typeof route.units === "number") return route.units;
  const v = req.headers[route.units.header];
  const s = Array.isArray(v) ? v[0] : v;
  return s !== undefined && /^\d+$/.test(s) ? Number(s) : Number.NaN; // the gate answers 422 for NaN
}

export function createMeteringProxy(options: MeteringProxyOptions): http.Server {
  const table = new RouteTable(options.routes);
  const charge = options.charge ?? chargeServed;
  const agentOpts = options.upstreamAgent ?? { maxSockets: 256, keepAliveMsecs: 1000 };
  const agent = new http.Agent({ keepAlive: true, maxSockets: agentOpts.maxSockets, keepAliveMsecs: agentOpts.keepAliveMsecs });
  const gate = options.gate;

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const path = q < 0 ? url : url.slice(0, q);
    const m = table.match(req.method ?? "GET", path);
    if (m.kind !== "found") {
      sendJson(res, m.kind === "method" ? 405 : 404, {
        error: m.kind === "method" ? "method_not_allowed" : "not_found",
        message: m.kind === "method" ? "method not allowed on this route" : "no route for this path",
      });
      req.resume();
      return;
    }
    const route = m.route;

    let admission: Admission | null = null;
    if (gate !== null) {
      const get = (n: string) => {
        const v = req.headers[n];
        return Array.isArray(v) ? v[0] : v;
      };
      const input = { key: apiKeyFrom(get), userId: userIdFrom(get), endpoint: route.endpoint, units: unitsOf(route, req) };
      admission = gate.admitNow(input) ?? (await gate.admit(input));
      if (!admission.ok) {
        sendJson(res, admission.status, admission.body, admission.headers);
        req.resume();
        return;
      }
    }
    const ticket = admission?.ticket ?? null;

    const headers = copyHeaders(req.headers, DROP_REQUEST);
    if (admission !== null) headers["x-request-id"] = admission.requestId;
    const up = http.request({
      protocol: "http:",
      hostname: route.upstream.hostname,
      port: route.upstream.port || 80,
      method: req.method,
      path: url,
      headers: { ...headers, host: route.upstream.host },
      agent,
    });

    // Client went away before the upstream answered: not served.
    const onClientClose = (): void => {
      if (!res.writableFinished) {
        up.destroy();
        ticket?.release();
      }
    };
    res.on("close", onClientClose);

    up.on("error", () => {
      ticket?.release();
      sendCode(res, "bad_gateway", admission ? unchargedHeaders(admission.headers) : {});
    });

    up.on("response", (upRes) => {
      const status = upRes.statusCode ?? 502;
      const outHeaders = copyHeaders(upRes.headers, DROP_RESPONSE);
      const pass = (gateHeaders: Readonly<Record<string, string>>): void => {
        res.writeHead(status, upRes.statusMessage, Object.assign(outHeaders, gateHeaders));
        upRes.pipe(res);
        upRes.on("error", () => res.destroy()); // upstream died mid-body: the client must see a cut-off
      };
      if (ticket === null || admission === null) return pass({});
      if (!charge(status)) {
        ticket.release();
        return pass(unchargedHeaders(admission.headers));
      }
      ticket.commit().then(
        () => pass(admission!.headers),
        (err: unknown) => {
          upRes.destroy();
          if (err instanceof UsageLogUnavailableError) {
            sendCode(res, "usage_log_unavailable", { ...unchargedHeaders(admission!.headers), [HEADER.retryAfter]: "1" });
          } else {
            res.destroy(err instanceof Error ? err : new Error(String(err)));
          }
        },
      );
    });

    req.pipe(up);
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      sendCode(res, "internal_error");
      process.emitWarning(`metering proxy: ${err instanceof Error ? err.stack : String(err)}`);
    });
  });
  server.on("close", () => agent.destroy());
  return server;
}
