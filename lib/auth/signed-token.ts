// HMAC-signed tokens for cookies: `base64url(JSON) + "." + base64url(HMAC-SHA256(purpose + "." + JSON))`.
// The purpose is part of the MAC, so a token minted for one use (a sign-in challenge) is never accepted
// for another (a session).
import { createHmac, timingSafeEqual } from "node:crypto";

function mac(secret: string, purpose: string, payload: string): Buffer {
  return createHmac("sha256", secret).update(`${purpose}.${payload}`).digest();
}

export function signToken(value: unknown, secret: string, purpose: string): string {
  const payload = Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${payload}.${mac(secret, purpose, payload).toString("base64url")}`;
}

/** The JSON value of a token whose MAC is right for `purpose`, else null. */
export function verifyToken(token: string | null | undefined, secret: string, purpose: string): unknown {
  if (!token) return null;
  const dot = token.indexOf(".");
  if (dot <= 0 || dot !== token.lastIndexOf(".")) return null;
  const payload = token.slice(0, dot);
  const given = Buffer.from(token.slice(dot + 1), "base64url");
  const expected = mac(secret, purpose, payload);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  try {
    return JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as unknown;
  } catch {
    return null;
  }
}
