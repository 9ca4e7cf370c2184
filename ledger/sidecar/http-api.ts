// The HTTP API the unmodified `ConvexHttpClient` speaks, answered by the embedded engine.
//
//   POST /api/query, /api/query_at_ts, /api/mutation, /api/action   { path, format, args: [args] }
//   POST /api/function                                               { path, format, args }
//   POST /api/query_ts                                               → { ts }
//   GET  /_ledger/health                                             → { ok, documents }
//   anything else                                                    → convex/http.ts's router
//
// Answers use the `convex_encoded_json` format: 200 `{ status: "success", value }`, or 560
// `{ status: "error", errorMessage, errorData? }` for a function that threw (errorData carries a
// ConvexError's data). Internal functions are refused: they are for crons and the scheduler.
import type { IncomingMessage, ServerResponse } from "node:http";
import { convexToJson, jsonToConvex, type JSONValue, type Value } from "convex/values";
import type { FunctionKind, LedgerEngine } from "./engine";
import { BadTokenError, identityFromAuthorization } from "./identity";

/** Largest request body accepted, bytes (Convex limits function arguments to 16 MiB). */
export const MAX_BODY_BYTES = 16 * 1024 * 1024;
/** Status Convex uses for a function that ran and threw. */
export const STATUS_UDF_FAILED = 560;

const FUNCTION_ROUTES: Record<string, FunctionKind | "any"> = {
  "/api/query": "query",
  "/api/query_at_ts": "query",
  "/api/mutation": "mutation",
  "/api/action": "action",
  "/api/function": "any",
};

export interface HttpApiOptions {
  /** Called for failures of the server itself (not of functions), e.g. to log them. */
  onInternalError?(error: unknown): void;
}

class HttpFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

let requestCounter = 0;

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpFailure(413, "PayloadTooLarge", `body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function isConvexError(error: unknown): error is Error & { data: Value } {
  return typeof error === "object" && error !== null && Symbol.for("ConvexError") in error;
}

/** The answer Convex gives for a function that threw. */
function failureBody(error: unknown): Record<string, unknown> {
  if (isConvexError(error)) {
    return { status: "error", errorMessage: error.message, errorData: convexToJson(error.data), logLines: [] };
  }
  const name = error instanceof Error ? error.name : "Error";
  const message = error instanceof Error ? error.message : String(error);
  requestCounter += 1;
  return {
    status: "error",
    errorMessage: `[Request ID: ledger-${requestCounter}] Server Error\nUncaught ${name}: ${message}`,
    logLines: [],
  };
}

async function callFunction(engine: LedgerEngine, route: FunctionKind | "any", req: IncomingMessage, res: ServerResponse) {
  if (req.method !== "POST") throw new HttpFailure(405, "MethodNotAllowed", `${req.url} takes POST`);
  const identity = identityOf(req);
  let body: { path?: unknown; format?: unknown; args?: unknown };
  try {
    body = JSON.parse((await readBody(req)).toString("utf8")) as typeof body;
  } catch (error) {
    if (error instanceof HttpFailure) throw error;
    throw new HttpFailure(400, "BadJsonBody", "the body is not JSON");
  }
  if (typeof body.path !== "string") throw new HttpFailure(400, "BadRequest", "`path` must be a string");
  if (body.format !== undefined && body.format !== "convex_encoded_json") {
    throw new HttpFailure(400, "BadRequest", `unsupported format ${JSON.stringify(body.format)}`);
  }
  const fn = engine.resolve(body.path);
  if (fn === null || fn.visibility !== "public") {
    // The same answer for internal and missing functions: internals are invisible from outside.
    throw new HttpFailure(404, "FunctionNotFound", `Could not find public function for '${body.path}'`);
  }
  if (route !== "any" && fn.kind !== route) {
    throw new HttpFailure(400, "BadRequest", `${fn.path} is a ${fn.kind}, called as a ${route}`);
  }
  // `/api/function` sends the arguments object itself, the others a one-element array.
  const encoded = route === "any" ? body.args : Array.isArray(body.args) ? body.args[0] : undefined;
  let args: Value;
  try {
    args = jsonToConvex((encoded ?? {}) as JSONValue);
  } catch (error) {
    throw new HttpFailure(400, "BadRequest", `arguments are not Convex JSON: ${(error as Error).message}`);
  }
  if (typeof args !== "object" || args === null || Array.isArray(args) || args instanceof ArrayBuffer) {
    throw new HttpFailure(400, "BadRequest", "arguments must be an object");
  }
  let value: Value;
  try {
    value = await engine.call(fn, args as Record<string, Value>, identity);
  } catch (error) {
    send(res, STATUS_UDF_FAILED, failureBody(error));
    return;
  }
  send(res, 200, { status: "success", value: convexToJson(value), logLines: [] });
}

function identityOf(req: IncomingMessage) {
  try {
    return identityFromAuthorization(req.headers.authorization);
  } catch (error) {
    if (error instanceof BadTokenError) throw new HttpFailure(401, "Unauthenticated", error.message);
    throw error;
  }
}

async function routeToHttpActions(engine: LedgerEngine, req: IncomingMessage, res: ServerResponse) {
  if (!engine.hasHttpRouter) throw new HttpFailure(404, "NotFound", `no route for ${req.url}`);
  // An http action may use the Authorization header its own way: it still gets the header, and an
  // identity only when the header is a bearer JWT.
  let identity: ReturnType<typeof identityFromAuthorization>;
  try {
    identity = identityFromAuthorization(req.headers.authorization);
  } catch {
    identity = undefined;
  }
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item);
  }
  const method = req.method ?? "GET";
  const body = method === "GET" || method === "HEAD" ? undefined : new Uint8Array(await readBody(req));
  const response = await engine.fetch(req.url ?? "/", { method, headers, body }, identity);
  const payload = Buffer.from(await response.arrayBuffer());
  const outHeaders: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    outHeaders[name] = value;
  });
  outHeaders["content-length"] = String(payload.length);
  res.writeHead(response.status, outHeaders);
  res.end(payload);
}

/** A `node:http` request listener serving `engine`. */
export function createHttpApi(engine: LedgerEngine, options: HttpApiOptions = {}) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const pathname = new URL(req.url ?? "/", "http://127.0.0.1").pathname;
    const handle = async () => {
      const route = FUNCTION_ROUTES[pathname];
      if (route !== undefined) return await callFunction(engine, route, req, res);
      if (pathname === "/api/query_ts") {
        return send(res, 200, { ts: convexToJson(engine.store.exportState().lastCommitTs) });
      }
      if (pathname === "/_ledger/health") {
        return send(res, 200, { ok: true, documents: engine.store.exportState().documents.length });
      }
      return await routeToHttpActions(engine, req, res);
    };
    handle().catch((error: unknown) => {
      if (error instanceof HttpFailure) {
        if (!res.headersSent) send(res, error.status, { code: error.code, message: error.message });
        return;
      }
      options.onInternalError?.(error);
      if (!res.headersSent) send(res, 500, { code: "InternalServerError", message: String(error) });
      else res.destroy();
    });
  };
}
