// JSON-RPC 2.0 framing shared by the HTTP endpoint and the PubSub WebSocket: single requests, batches,
// notifications (no id: no answer), and the spec's errors — -32700 text that is not JSON, -32600 a
// request that is not a request (or an empty batch), -32601 an unknown method, -32602 bad params (from
// the handlers), -32603 anything a handler did not expect. A handler's failure never escapes.
import { RpcError, RpcErrorCode } from "./errors";
import { stringifyJson } from "./json";

export type RequestId = string | number | null;
/** Answers one call: returns the result or throws RpcError. Unknown methods return NOT_FOUND. */
export type Dispatch = (method: string, params: unknown[], id: RequestId) => unknown;

export const NOT_FOUND: unique symbol = Symbol("method not found");

interface Response {
  jsonrpc: "2.0";
  id: RequestId;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

function errorResponse(id: RequestId, error: RpcError): Response {
  return { jsonrpc: "2.0", error: error.toJson(), id };
}

function isRequestId(value: unknown): value is RequestId {
  return value === null || typeof value === "string" || (typeof value === "number" && Number.isFinite(value));
}

/** Called with every unexpected handler failure (an internal error), for the operator's log. */
export type InternalErrorReporter = (method: string, error: unknown) => void;

function handleOne(request: unknown, dispatch: Dispatch, report: InternalErrorReporter): Response | null {
  if (typeof request !== "object" || request === null || Array.isArray(request)) {
    return errorResponse(null, new RpcError(RpcErrorCode.InvalidRequest, "Invalid request"));
  }
  const r = request as Record<string, unknown>;
  const hasId = "id" in r;
  const id = hasId && isRequestId(r.id) ? r.id : null;
  if (r.jsonrpc !== "2.0" || typeof r.method !== "string" || (hasId && !isRequestId(r.id))) {
    return errorResponse(id, new RpcError(RpcErrorCode.InvalidRequest, "Invalid request"));
  }
  let params: unknown[];
  if (r.params === undefined || r.params === null) params = [];
  else if (Array.isArray(r.params)) params = r.params;
  else {
    return hasId ? errorResponse(id, new RpcError(RpcErrorCode.InvalidParams, "Invalid params: invalid type: map, expected a sequence")) : null;
  }
  let response: Response;
  try {
    const result = dispatch(r.method, params, id);
    response = result === NOT_FOUND ? errorResponse(id, new RpcError(RpcErrorCode.MethodNotFound, "Method not found")) : { jsonrpc: "2.0", result, id };
  } catch (e) {
    if (e instanceof RpcError) response = errorResponse(id, e);
    else {
      report(r.method, e);
      response = errorResponse(id, new RpcError(RpcErrorCode.InternalError, `Internal error: ${e instanceof Error ? e.message : String(e)}`));
    }
  }
  return hasId ? response : null;
}

/**
 * Answers a JSON-RPC message (text): the response text, or null when nothing is to be sent back
 * (notifications only).
 */
export function handleJsonRpc(text: string, dispatch: Dispatch, report: InternalErrorReporter = () => {}): string | null {
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    return stringifyJson(errorResponse(null, new RpcError(RpcErrorCode.ParseError, "Parse error")));
  }
  if (Array.isArray(message)) {
    if (message.length === 0) return stringifyJson(errorResponse(null, new RpcError(RpcErrorCode.InvalidRequest, "Invalid request")));
    const responses = message.map((m) => handleOne(m, dispatch, report)).filter((r): r is Response => r !== null);
    return responses.length ? stringifyJson(responses) : null;
  }
  const response = handleOne(message, dispatch, report);
  return response ? stringifyJson(response) : null;
}
