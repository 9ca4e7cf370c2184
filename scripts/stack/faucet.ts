// The local faucet: gives a wallet SOL (airdrop) and local USDC (minted by the mint's authority, the
// stack's admin key). `fundWallet` is the function; `startFaucet` serves it over HTTP on 127.0.0.1 for the
// dashboard's local dev wallet and for people trying the product (docs/local-stack.md):
//
//   GET  /          → { mint, rpcUrl, defaults, limits }
//   POST /fund      { "wallet": "<base58>", "usdc"?: "<base units>", "lamports"?: "<lamports>" }
//                   → 200 { wallet, tokenAccount, usdc, lamports, signatures }
//
// Amounts are decimal strings (or safe integers) in base units: 1 USDC = 1000000, 1 SOL = 1000000000.
// Refusals are JSON { error, message }: 400 invalid_request, 413 body_too_large, 422 over_limit,
// 404 not_found, 405 method_not_allowed, 502 chain_error.
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { createAssociatedTokenAccountIdempotentInstruction, createMintToInstruction, getAssociatedTokenAddressSync } from "@solana/spl-token";
import { Connection, PublicKey, Transaction, sendAndConfirmTransaction, type Keypair } from "@solana/web3.js";
import { HOST } from "./net";

/** Defaults of one /fund call: 100 USDC and 2 SOL. */
export const FAUCET_DEFAULTS = { usdc: 100_000_000n, lamports: 2_000_000_000n } as const;
/** Most one /fund call gives: 10,000 USDC and 10 SOL. */
export const FAUCET_LIMITS = { usdc: 10_000_000_000n, lamports: 10_000_000_000n } as const;
/** Largest request body, bytes. */
const MAX_BODY = 4096;

export interface FundResult {
  wallet: string;
  /** The wallet's associated USDC token account. */
  tokenAccount: string;
  usdc: bigint;
  lamports: bigint;
  signatures: string[];
}

/** Airdrops `lamports` and mints `usdc` to `wallet`'s associated token account (created when missing). */
export async function fundWallet(
  connection: Connection,
  mintAuthority: Keypair,
  mint: PublicKey,
  wallet: PublicKey,
  amounts: { usdc: bigint; lamports: bigint },
): Promise<FundResult> {
  const signatures: string[] = [];
  if (amounts.lamports > 0n) {
    const latest = await connection.getLatestBlockhash("confirmed");
    const sig = await connection.requestAirdrop(wallet, Number(amounts.lamports));
    await connection.confirmTransaction({ signature: sig, ...latest }, "confirmed");
    signatures.push(sig);
  }
  const tokenAccount = getAssociatedTokenAddressSync(mint, wallet, true);
  if (amounts.usdc > 0n) {
    const tx = new Transaction().add(
      createAssociatedTokenAccountIdempotentInstruction(mintAuthority.publicKey, tokenAccount, wallet, mint),
      createMintToInstruction(mint, tokenAccount, mintAuthority.publicKey, amounts.usdc),
    );
    signatures.push(await sendAndConfirmTransaction(connection, tx, [mintAuthority], { commitment: "confirmed" }));
  }
  return { wallet: wallet.toBase58(), tokenAccount: tokenAccount.toBase58(), usdc: amounts.usdc, lamports: amounts.lamports, signatures };
}

class FaucetRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function amount(value: unknown, name: string, fallback: bigint, limit: bigint): bigint {
  if (value === undefined || value === null) return fallback;
  let n: bigint;
  if (typeof value === "string" && /^\d{1,20}$/.test(value)) n = BigInt(value);
  else if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) n = BigInt(value);
  else throw new FaucetRefusal(400, "invalid_request", `${name} must be a whole number of base units (a decimal string)`);
  if (n > limit) throw new FaucetRefusal(422, "over_limit", `${name} is at most ${limit} per call`);
  return n;
}

/** Parses a /fund body: the wallet and the amounts (defaults applied, limits checked). */
export function parseFundRequest(body: unknown): { wallet: PublicKey; usdc: bigint; lamports: bigint } {
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new FaucetRefusal(400, "invalid_request", "the body must be a JSON object");
  const b = body as Record<string, unknown>;
  let wallet: PublicKey;
  try {
    if (typeof b.wallet !== "string") throw new Error();
    wallet = new PublicKey(b.wallet);
  } catch {
    throw new FaucetRefusal(400, "invalid_request", "wallet must be a base58 address");
  }
  return {
    wallet,
    usdc: amount(b.usdc, "usdc", FAUCET_DEFAULTS.usdc, FAUCET_LIMITS.usdc),
    lamports: amount(b.lamports, "lamports", FAUCET_DEFAULTS.lamports, FAUCET_LIMITS.lamports),
  };
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new FaucetRefusal(413, "body_too_large", `the body is at most ${MAX_BODY} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

export interface FaucetOptions {
  connection: Connection;
  rpcUrl: string;
  mintAuthority: Keypair;
  mint: PublicKey;
  /** 0 picks a free port. */
  port: number;
  log?: (line: string) => void;
}

export interface Faucet {
  url: string;
  close(): Promise<void>;
}

export async function startFaucet(o: FaucetOptions): Promise<Faucet> {
  const cors = {
    "access-control-allow-origin": "*",
    "access-control-allow-methods": "GET, POST, OPTIONS",
    "access-control-allow-headers": "content-type",
  };
  const send = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { ...cors, "content-type": "application/json" });
    res.end(JSON.stringify(body, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)));
  };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://faucet");
    const handle = async () => {
      if (req.method === "OPTIONS") {
        res.writeHead(204, cors);
        res.end();
        return;
      }
      if (url.pathname === "/" || url.pathname === "/health") {
        if (req.method !== "GET") throw new FaucetRefusal(405, "method_not_allowed", "use GET");
        send(res, 200, { mint: o.mint.toBase58(), rpcUrl: o.rpcUrl, defaults: FAUCET_DEFAULTS, limits: FAUCET_LIMITS });
        return;
      }
      if (url.pathname !== "/fund") throw new FaucetRefusal(404, "not_found", "POST /fund or GET /");
      if (req.method !== "POST") throw new FaucetRefusal(405, "method_not_allowed", "use POST");
      let parsed: unknown;
      try {
        parsed = JSON.parse(await readBody(req));
      } catch (err) {
        if (err instanceof FaucetRefusal) throw err;
        throw new FaucetRefusal(400, "invalid_request", "the body must be JSON");
      }
      const request = parseFundRequest(parsed);
      let result: FundResult;
      try {
        result = await fundWallet(o.connection, o.mintAuthority, o.mint, request.wallet, request);
      } catch (err) {
        throw new FaucetRefusal(502, "chain_error", `the local chain refused: ${err instanceof Error ? err.message : String(err)}`);
      }
      o.log?.(`faucet: ${request.wallet.toBase58()} +${request.usdc} USDC base units, +${request.lamports} lamports`);
      send(res, 200, result);
    };
    handle().catch((err: unknown) => {
      if (err instanceof FaucetRefusal) send(res, err.status, { error: err.code, message: err.message });
      else send(res, 500, { error: "internal", message: err instanceof Error ? err.message : String(err) });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port, HOST, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${HOST}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
