// The gate for node:http handlers and Express-style middleware.
// The usage entry must be durable before any byte of the response leaves, yet a node handler writes
// to `res` itself: the adapter holds the handler's first writeHead/write/end (which fixes the status),
// commits the usage when that status is charged, and only then replays the held calls. A response
// that is not charged (default: status ≥ 400) gives the reservation back instead.
import type { IncomingMessage, ServerResponse } from "node:http";
import { HEADER, type Admission, type Gate } from "../gate";
import { isUsageLogUnavailable } from "../ticket";
import { REFUSALS, REFUSAL_MESSAGES } from "../errors";
import { apiKeyFrom, userIdFrom } from "../request";
import { chargeServed, unchargedHeaders, type ChargePolicy } from "./fetch";

export type NodeUnitsSpec = number | ((req: IncomingMessage) => number | Promise<number>);

export interface NodeBillingRoute {
  endpoint: string;
  /** Default 1. */
  units?: NodeUnitsSpec;
}

export interface NodeBillingOptions {
  /** Default chargeServed: 2xx and 3xx are charged. */
  charge?: ChargePolicy;
}

/** What `req.billing` holds for a handler behind the adapter. */
export interface NodeBillingContext {
  readonly requestId: string;
  readonly cost: bigint;
}

/** A node:http handler; what it returns is ignored (awaited when it is a promise). */
export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => unknown;
export type NextFn = (err?: unknown) => void;

function header(req: IncomingMessage) {
  return (name: string): string | undefined => {
    const v = req.headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
}

/** Writes a gate refusal (JSON body and headers). */
export function writeRefusal(res: ServerResponse, a: Pick<Admission, "status" | "body" | "headers">): void {
  const body = JSON.stringify(a.body);
  res.writeHead(a.status, { ...a.headers, "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

export async function admitNode(gate: Gate, req: IncomingMessage, route: NodeBillingRoute): Promise<Admission> {
  let units: number;
  try {
    units = route.units === undefined ? 1 : typeof route.units === "number" ? route.units : await route.units(req);
  } catch {
    units = Number.NaN; // the gate answers 422
  }
  const get = header(req);
  return gate.admit({ key: apiKeyFrom(get), userId: userIdFrom(get), endpoint: route.endpoint, units });
}

type Held = { fn: "writeHead" | "write" | "end" | "flushHeaders"; args: unknown[] };

/**
 * Sets the gate's headers on `res` and holds its output until the usage entry is committed (or released
 * when the status is not charged). Returns `abandon`, for a handler that failed: before it wrote anything
 * the reservation is released and abandon() returns true (the caller answers 500); after, the response
 * is cut off once its held part is out (a half-written response must not look complete) and it returns false.
 */
export function holdUntilCommitted(res: ServerResponse, admission: Admission, charge: ChargePolicy): () => boolean {
  const ticket = admission.ticket!;
  for (const name in admission.headers) res.setHeader(name, admission.headers[name]!);
  const orig = {
    writeHead: res.writeHead,
    write: res.write,
    end: res.end,
    flushHeaders: res.flushHeaders,
  };
  const held: Held[] = [];
  let started = false;
  let replayed = false;
  let abandoned = false;

  const restore = (): void => {
    res.writeHead = orig.writeHead;
    res.write = orig.write;
    res.end = orig.end;
    res.flushHeaders = orig.flushHeaders;
  };
  const cutOffIfAbandoned = (): void => {
    if (abandoned && !res.writableEnded) res.destroy(new Error("handler failed mid-response"));
  };
  const replay = (): void => {
    restore();
    replayed = true;
    for (const c of held) (orig[c.fn] as (...a: unknown[]) => unknown).apply(res, c.args);
    cutOffIfAbandoned();
  };
  const start = (status: number): void => {
    started = true;
    if (!charge(status)) {
      ticket.release();
      res.removeHeader(HEADER.cost);
      res.removeHeader(HEADER.available);
      replay();
      return;
    }
    ticket.commit().then(replay, (err: unknown) => {
      restore();
      if (isUsageLogUnavailable(err) && !res.headersSent) {
        for (const name of res.getHeaderNames()) res.removeHeader(name);
        writeRefusal(res, {
          status: REFUSALS.usage_log_unavailable,
          body: { error: "usage_log_unavailable", message: REFUSAL_MESSAGES.usage_log_unavailable },
          headers: { ...unchargedHeaders(admission.headers), [HEADER.retryAfter]: "1" },
        });
      } else {
        res.destroy(err instanceof Error ? err : new Error(String(err)));
      }
    });
  };

  res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
    held.push({ fn: "writeHead", args });
    if (!started) start(typeof args[0] === "number" ? args[0] : res.statusCode);
    return res;
  } as ServerResponse["writeHead"];
  res.write = function (...args: unknown[]) {
    held.push({ fn: "write", args });
    if (!started) start(res.statusCode);
    return true;
  } as ServerResponse["write"];
  res.end = function (...args: unknown[]) {
    held.push({ fn: "end", args });
    if (!started) start(res.statusCode);
    return res;
  } as ServerResponse["end"];
  res.flushHeaders = function () {
    held.push({ fn: "flushHeaders", args: [] });
    if (!started) start(res.statusCode);
  };

  return () => {
    if (!started) {
      started = true;
      restore();
      ticket.release();
      return true;
    }
    abandoned = true;
    if (replayed) cutOffIfAbandoned();
    return false;
  };
}

export interface NodeBilling {
  /** Wraps a node:http handler: `http.createServer(billing.handler(fn, { endpoint, units }))`. */
  handler(fn: NodeHandler, route: NodeBillingRoute): (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  /** Express-style middleware: `app.post("/v1/x", billing.middleware({ endpoint }), handler)`. */
  middleware(route: NodeBillingRoute): (req: IncomingMessage, res: ServerResponse, next: NextFn) => void;
}

/** Binds the node:http adapter to a gate. */
export function nodeBilling(gate: Gate, options: NodeBillingOptions = {}): NodeBilling {
  const charge = options.charge ?? chargeServed;
  const attach = (req: IncomingMessage, a: Admission): void => {
    (req as IncomingMessage & { billing?: NodeBillingContext }).billing = { requestId: a.requestId, cost: a.cost };
  };

  return {
    handler(fn, route) {
      return async (req, res) => {
        const a = await admitNode(gate, req, route);
        if (!a.ok) return writeRefusal(res, a);
        attach(req, a);
        const abandon = holdUntilCommitted(res, a, charge);
        try {
          await fn(req, res);
        } catch {
          if (abandon()) {
            for (const name of res.getHeaderNames()) res.removeHeader(name);
            writeRefusal(res, {
              status: REFUSALS.internal_error,
              body: { error: "internal_error", message: REFUSAL_MESSAGES.internal_error },
              headers: unchargedHeaders(a.headers),
            });
          }
        }
      };
    },

    middleware(route) {
      return (req, res, next) => {
        admitNode(gate, req, route).then(
          (a) => {
            if (!a.ok) return writeRefusal(res, a);
            attach(req, a);
            holdUntilCommitted(res, a, charge);
            next();
          },
          (err: unknown) => next(err),
        );
      };
    },
  };
}
