// Session cookies: an HMAC-signed token (signed-token.ts) naming the wallet. The cookie is
// HttpOnly (scripts cannot read it), SameSite=Lax (other sites cannot send it with a POST) and names only
// the wallet that proved it holds its key; roles are looked up on every request, never cached here.
import { randomBytes } from "node:crypto";
import { signToken, verifyToken } from "./signed-token";

const PURPOSE = "session";

export const SESSION_COOKIE = "pb_session";

export interface Session {
  /** Base58 wallet address that signed the sign-in message. */
  wallet: string;
  /** Issued at / expires at, unix seconds. */
  iat: number;
  exp: number;
  /** Random id, so two sessions of one wallet differ. */
  sid: string;
}

/** A new session for `wallet`, valid `ttlSecs` from `nowSecs`. */
export function newSession(wallet: string, nowSecs: number, ttlSecs: number): Session {
  return { wallet, iat: nowSecs, exp: nowSecs + ttlSecs, sid: randomBytes(12).toString("base64url") };
}

export function encodeSession(session: Session, secret: string): string {
  return signToken(session, secret, PURPOSE);
}

function isSession(value: unknown): value is Session {
  if (typeof value !== "object" || value === null) return false;
  const s = value as Record<string, unknown>;
  return (
    typeof s.wallet === "string" &&
    /^[1-9A-HJ-NP-Za-km-z]{32,44}$/.test(s.wallet) &&
    Number.isInteger(s.iat) &&
    Number.isInteger(s.exp) &&
    typeof s.sid === "string"
  );
}

/** The session a cookie value holds, or null when it is malformed, forged or expired at `nowSecs`. */
export function decodeSession(value: string | undefined | null, secret: string, nowSecs: number): Session | null {
  const parsed = verifyToken(value, secret, PURPOSE);
  if (!isSession(parsed) || parsed.exp <= nowSecs) return null;
  return parsed;
}

export interface CookieOptions {
  secure: boolean;
  /** Seconds; 0 deletes the cookie. */
  maxAge: number;
}

/** A `Set-Cookie` header value. */
export function serializeCookie(name: string, value: string, options: CookieOptions): string {
  const parts = [`${name}=${value}`, "Path=/", "HttpOnly", "SameSite=Lax", `Max-Age=${options.maxAge}`];
  if (options.secure) parts.push("Secure");
  return parts.join("; ");
}

/** One cookie's value from a `Cookie` request header. */
export function readCookie(header: string | null | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}
