// The plumbing every dashboard route shares: errors → JSON with the status from lib/errors.ts, bigint-safe
// JSON, the session from the cookie, a same-origin check for state-changing requests, bounded JSON bodies.
import { serverEnv } from "../env";
import { AppError, errorBody, toAppError } from "../errors";
import { decodeSession, readCookie, SESSION_COOKIE, type Session } from "../auth/session";
import { sessionSecret } from "../auth/secret";

/** Largest JSON body a dashboard route reads, bytes (a signed transaction is ≤ 1232 bytes, base64 ≈ 1.7 KB). */
const MAX_BODY_BYTES = 16 * 1024;

/** JSON with bigint amounts as decimal strings (u64 does not fit a JSON number). */
export function json(body: unknown, status = 200, headers?: HeadersInit): Response {
  const text = JSON.stringify(body, (_key, value: unknown) => (typeof value === "bigint" ? value.toString() : value));
  const h = new Headers(headers);
  h.set("content-type", "application/json; charset=utf-8");
  h.set("cache-control", "no-store");
  return new Response(text, { status, headers: h });
}

export function errorResponse(error: unknown): Response {
  const appError = toAppError(error);
  if (appError.code === "internal") console.error("dashboard route failed:", error);
  return json(errorBody(appError), appError.status);
}

type Params = Record<string, string | string[] | undefined>;

/** Wraps a handler: any throw becomes the JSON error answer for its code. */
export function route<P extends Params>(handler: (req: Request, params: P) => Promise<Response>) {
  return async (req: Request, context: { params: Promise<P> }): Promise<Response> => {
    try {
      return await handler(req, await context.params);
    } catch (error) {
      return errorResponse(error);
    }
  };
}

export function nowSecs(): number {
  return Math.floor(Date.now() / 1000);
}

/** The session of a request, or null. */
export function sessionOf(req: Request): Session | null {
  return decodeSession(readCookie(req.headers.get("cookie"), SESSION_COOKIE), sessionSecret(), nowSecs());
}

export function requireSession(req: Request): Session {
  const session = sessionOf(req);
  if (!session) throw new AppError("unauthorized");
  return session;
}

/**
 * Refuses a state-changing request sent by another site's page. The session cookie is SameSite=Lax
 * already; this also covers browsers that treat a sibling port or subdomain as same-site.
 */
export function requireSameOrigin(req: Request): void {
  const origin = req.headers.get("origin");
  if (origin === null) return; // not a browser form or fetch (curl, server-to-server): no ambient cookie risk beyond the session itself
  const host = req.headers.get("x-forwarded-host") ?? req.headers.get("host") ?? new URL(req.url).host;
  let originHost: string;
  try {
    originHost = new URL(origin).host;
  } catch {
    throw new AppError("forbidden", "This request came from another site.", "cross_origin");
  }
  if (originHost !== host) throw new AppError("forbidden", "This request came from another site.", "cross_origin");
}

/** A signed-in, same-origin, state-changing request. */
export function requireAction(req: Request): Session {
  requireSameOrigin(req);
  return requireSession(req);
}

/** The request's JSON object body (at most 16 KiB); AppError 422 otherwise. */
export async function readJson(req: Request): Promise<Record<string, unknown>> {
  const text = await req.text();
  if (Buffer.byteLength(text) > MAX_BODY_BYTES) throw new AppError("invalid_argument", "The request is too large.", "body_too_large");
  if (text.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new AppError("invalid_argument", "The request is not valid JSON.", "body_not_json");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new AppError("invalid_argument", "The request must be a JSON object.", "body_not_object");
  }
  return value as Record<string, unknown>;
}

/** Whether cookies set in answer to `req` get the Secure flag. */
export function secureCookies(req: Request): boolean {
  const setting = serverEnv().cookieSecure;
  if (setting !== "auto") return setting;
  const forwarded = req.headers.get("x-forwarded-proto");
  return (forwarded ?? new URL(req.url).protocol.replace(":", "")) === "https";
}

/** The host (and port) the request reached, e.g. "127.0.0.1:3000". */
export function requestHost(req: Request): string {
  return req.headers.get("x-forwarded-host") ?? req.headers.get("host") ?? new URL(req.url).host;
}

export function requestOrigin(req: Request): string {
  const proto = req.headers.get("x-forwarded-proto") ?? new URL(req.url).protocol.replace(":", "");
  return `${proto}://${requestHost(req)}`;
}
