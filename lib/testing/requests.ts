// Requests as a browser at http://127.0.0.1:3000 would send them, for calling route handlers directly.
import { ed25519 } from "@noble/curves/ed25519";
import type { Keypair } from "@solana/web3.js";

export const ORIGIN = "http://127.0.0.1:3000";

export interface RequestOptions {
  method?: string;
  body?: unknown;
  cookies?: Record<string, string>;
  origin?: string | null;
}

export function request(path: string, options: RequestOptions = {}): Request {
  const headers = new Headers({ host: "127.0.0.1:3000" });
  if (options.origin !== null) headers.set("origin", options.origin ?? ORIGIN);
  if (options.body !== undefined) headers.set("content-type", "application/json");
  const cookies = Object.entries(options.cookies ?? {});
  if (cookies.length > 0) headers.set("cookie", cookies.map(([k, v]) => `${k}=${v}`).join("; "));
  return new Request(`${ORIGIN}${path}`, {
    method: options.method ?? (options.body === undefined ? "GET" : "POST"),
    headers,
    body: options.body === undefined ? undefined : typeof options.body === "string" ? options.body : JSON.stringify(options.body),
  });
}

/** name → value of every Set-Cookie in a response. */
export function setCookies(response: Response): Record<string, { value: string; header: string }> {
  const out: Record<string, { value: string; header: string }> = {};
  for (const header of response.headers.getSetCookie()) {
    const [pair] = header.split(";");
    const eq = pair.indexOf("=");
    out[pair.slice(0, eq)] = { value: pair.slice(eq + 1), header };
  }
  return out;
}

export function signText(kp: Keypair, text: string): string {
  return Buffer.from(ed25519.sign(new TextEncoder().encode(text), kp.secretKey.slice(0, 32))).toString("base64");
}
