// Sign-in with a Solana wallet, in the shape of Sign-In With Solana / EIP-4361: the server issues a
// challenge (domain, wallet, nonce, times) in a signed HttpOnly cookie and the text to sign; the wallet
// signs the text with `signMessage`; the server rebuilds the text from the challenge and checks the
// ed25519 signature against the wallet's public key. The message is rebuilt, never taken from the
// client, so a client cannot get a different statement, domain or expiry signed into a session.
import { randomBytes } from "node:crypto";
import { ed25519 } from "@noble/curves/ed25519";
import { PublicKey } from "@solana/web3.js";
import { AppError } from "../errors";
import { signToken, verifyToken } from "./signed-token";

export const CHALLENGE_COOKIE = "pb_challenge";
/** A challenge must be signed within this many seconds. */
export const CHALLENGE_TTL_SECS = 300;
const PURPOSE = "sign-in-challenge";
const STATEMENT = "Sign in to the prepaid billing dashboard. This request costs nothing and moves no funds.";

export interface Challenge {
  /** Host the dashboard was reached at, e.g. "127.0.0.1:3000". */
  domain: string;
  /** Origin, e.g. "http://127.0.0.1:3000". */
  uri: string;
  wallet: string;
  /** 128 random bits, base64url. */
  nonce: string;
  /** e.g. "localnet" — the cluster, as Sign-In With Solana's chain id. */
  chainId: string;
  /** Unix seconds. */
  issuedAt: number;
  expiresAt: number;
}

/** A valid base58 ed25519 public key, or an AppError. */
export function requireWalletAddress(value: unknown): string {
  if (typeof value !== "string" || !/^[1-9A-HJ-NP-Za-km-z]{32,44}$/.test(value)) {
    throw new AppError("invalid_argument", "That is not a Solana wallet address.");
  }
  try {
    return new PublicKey(value).toBase58();
  } catch {
    throw new AppError("invalid_argument", "That is not a Solana wallet address.");
  }
}

export function newChallenge(input: { domain: string; uri: string; wallet: string; chainId: string; nowSecs: number }): Challenge {
  return {
    domain: input.domain,
    uri: input.uri,
    wallet: input.wallet,
    nonce: randomBytes(16).toString("base64url"),
    chainId: input.chainId,
    issuedAt: input.nowSecs,
    expiresAt: input.nowSecs + CHALLENGE_TTL_SECS,
  };
}

/** The exact text the wallet signs. */
export function challengeMessage(c: Challenge): string {
  return [
    `${c.domain} wants you to sign in with your Solana account:`,
    c.wallet,
    "",
    STATEMENT,
    "",
    `URI: ${c.uri}`,
    "Version: 1",
    `Chain ID: ${c.chainId}`,
    `Nonce: ${c.nonce}`,
    `Issued At: ${new Date(c.issuedAt * 1000).toISOString()}`,
    `Expiration Time: ${new Date(c.expiresAt * 1000).toISOString()}`,
  ].join("\n");
}

export function encodeChallenge(c: Challenge, secret: string): string {
  return signToken(c, secret, PURPOSE);
}

function isChallenge(value: unknown): value is Challenge {
  if (typeof value !== "object" || value === null) return false;
  const c = value as Record<string, unknown>;
  return (
    ["domain", "uri", "wallet", "nonce", "chainId"].every((k) => typeof c[k] === "string") &&
    Number.isInteger(c.issuedAt) &&
    Number.isInteger(c.expiresAt)
  );
}

/** The challenge in a cookie value, or an AppError saying why it cannot be used. */
export function decodeChallenge(value: string | null | undefined, secret: string, nowSecs: number): Challenge {
  const parsed = verifyToken(value, secret, PURPOSE);
  if (!isChallenge(parsed)) throw new AppError("unauthorized", "Start signing in again: the sign-in request is missing or was altered.", "challenge_missing");
  if (parsed.expiresAt <= nowSecs) throw new AppError("expired", "The sign-in request expired. Please sign in again.", "challenge_expired");
  return parsed;
}

/** Decodes a signature sent as base64; it must be 64 bytes. */
export function decodeSignature(value: unknown): Uint8Array {
  if (typeof value !== "string" || value.length === 0 || value.length > 200) {
    throw new AppError("invalid_argument", "The signature is missing.", "signature_missing");
  }
  const bytes = /^[A-Za-z0-9+/]+=*$/.test(value) && value.length % 4 === 0 ? Buffer.from(value, "base64") : null;
  if (!bytes || bytes.length !== 64) throw new AppError("invalid_argument", "The signature is not a 64-byte ed25519 signature.", "signature_malformed");
  return new Uint8Array(bytes);
}

/** True when `signature` is the wallet's ed25519 signature of the challenge's message. */
export function verifyChallengeSignature(c: Challenge, signature: Uint8Array): boolean {
  const message = new TextEncoder().encode(challengeMessage(c));
  try {
    return ed25519.verify(signature, message, new PublicKey(c.wallet).toBytes());
  } catch {
    return false;
  }
}

/**
 * Nonces already exchanged for a session, remembered until their challenge expires, so a captured
 * (cookie, signature) pair cannot be replayed. In-process: with several dashboard instances, route a
 * sign-in to one instance (or keep this set in a shared store).
 */
export class UsedNonces {
  private readonly expiries = new Map<string, number>();
  /** Records `nonce`; false when it was already used. */
  claim(nonce: string, expiresAt: number, nowSecs: number): boolean {
    for (const [n, exp] of this.expiries) if (exp <= nowSecs) this.expiries.delete(n);
    if (this.expiries.has(nonce)) return false;
    this.expiries.set(nonce, expiresAt);
    return true;
  }
  get size(): number {
    return this.expiries.size;
  }
}
