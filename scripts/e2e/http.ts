// Paid requests to the app, as an API client sends them: POST /api/v1/batch/verify with `units` signature
// items (one unit each, at most 1,000 per call) or POST /api/v1/verify (one unit), the team's API key and a
// member's X-User-ID. The first item of a call carries a real ed25519 signature (answered valid); the others
// carry a truncated one, which the API answers invalid without the ~3 ms curve check — each is still one
// admitted, billed unit, and a run of 14,000 units stays within seconds of server time.
import { ed25519 } from "@noble/curves/ed25519";
import { getBase58Decoder } from "@solana/kit";
import type { Keypair } from "@solana/web3.js";

/** Items one batch call may carry (app/api/v1/_verify.ts MAX_BATCH_ITEMS). */
export const MAX_UNITS_PER_CALL = 1_000;

export interface PaidAnswer {
  status: number;
  /** Lower-case header names. */
  headers: Record<string, string>;
  body: unknown;
}

export class PaidApi {
  private readonly item: { message: string; signature: string; publicKey: string };
  private readonly filler: { message: string; signature: string; publicKey: string };

  constructor(
    private readonly appUrl: string,
    private readonly apiKey: string,
    signer: Keypair,
  ) {
    const message = "end-to-end request";
    const signature = ed25519.sign(new TextEncoder().encode(message), signer.secretKey.slice(0, 32));
    this.item = { message, signature: getBase58Decoder().decode(signature), publicKey: signer.publicKey.toBase58() };
    this.filler = { ...this.item, signature: getBase58Decoder().decode(signature.slice(0, 32)) };
  }

  /** One call charging `units` (1 → /api/v1/verify, more → /api/v1/batch/verify). */
  async call(units: number, userId: string): Promise<PaidAnswer> {
    if (!Number.isInteger(units) || units < 1 || units > MAX_UNITS_PER_CALL) throw new RangeError(`units must be 1 to ${MAX_UNITS_PER_CALL}`);
    const single = units === 1;
    const res = await fetch(`${this.appUrl}${single ? "/api/v1/verify" : "/api/v1/batch/verify"}`, {
      method: "POST",
      headers: { Authorization: `Bearer ${this.apiKey}`, "X-User-ID": userId, "Content-Type": "application/json" },
      body: JSON.stringify(single ? this.item : { items: Array.from({ length: units }, (_, i) => (i === 0 ? this.item : this.filler)) }),
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: kept as text for the error message
    }
    return { status: res.status, headers: Object.fromEntries(res.headers), body };
  }
}

/** The decoded PAYMENT-REQUIRED header (base64 JSON), or null. */
export function paymentRequired(headers: Record<string, string>): Record<string, unknown> | null {
  const raw = headers["payment-required"];
  if (!raw) return null;
  try {
    return JSON.parse(Buffer.from(raw, "base64").toString("utf8")) as Record<string, unknown>;
  } catch {
    return null;
  }
}
