// The two requests `npm start` prints as curl commands and checks itself before printing them: one the
// demo team's key gets served (200 with X-Billing-* headers), one the unfunded team's key gets refused with
// 402 and a PAYMENT-REQUIRED header. The message is really signed by the demo owner, so the paid API
// (ed25519 verification) answers {"valid":true}.
import { ed25519 } from "@noble/curves/ed25519";
import { getBase58Decoder } from "@solana/kit";
import type { Keypair } from "@solana/web3.js";

export interface DemoRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export function verifyRequest(appUrl: string, apiKey: string, signer: Keypair, userId?: string): DemoRequest {
  const message = "hello from the demo team";
  const signature = ed25519.sign(new TextEncoder().encode(message), signer.secretKey.slice(0, 32));
  return {
    url: `${appUrl}/api/v1/verify`,
    headers: {
      Authorization: `Bearer ${apiKey}`,
      ...(userId ? { "X-User-ID": userId } : {}),
      "Content-Type": "application/json",
    },
    body: JSON.stringify({ message, signature: getBase58Decoder().decode(signature), publicKey: signer.publicKey.toBase58() }),
  };
}

/** A shell command doing the same request (`-i` shows the billing headers). */
export function asCurl(r: DemoRequest): string {
  const headers = Object.entries(r.headers).map(([k, v]) => `-H '${k}: ${v}'`);
  return [`curl -i -X POST ${r.url}`, ...headers, `-d '${r.body}'`].join(" \\\n    ");
}

export interface DemoAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export async function send(r: DemoRequest): Promise<DemoAnswer> {
  const res = await fetch(r.url, { method: "POST", headers: r.headers, body: r.body });
  return { status: res.status, headers: Object.fromEntries(res.headers), body: await res.text() };
}
