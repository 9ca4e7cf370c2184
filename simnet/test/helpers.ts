// What the simnet tests share: a chain on free 127.0.0.1 ports, raw JSON-RPC calls (to see the exact
// wire shapes and error objects), web3.js Connections pointed at it, funded wallets, temporary ledger
// directories and a private copy of the built program (colleagues rebuild target/ while tests run).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawn, spawnSync } from "node:child_process";
import { Connection, Keypair, LAMPORTS_PER_SOL, type Commitment } from "@solana/web3.js";
import { startSimnet, type Simnet, type SimnetOptions } from "../server";

export const repoRoot = path.resolve(__dirname, "..", "..");
export const PROGRAM_SO_PATH = path.join(repoRoot, "target", "deploy", "prepaid_billing.so");
export const PROGRAM_KEYPAIR_PATH = path.join(repoRoot, "programs", "prepaid_billing", "keys", "program-keypair.json");

/** A chain in memory on free ports (HTTP and WebSocket). */
export function startTestSimnet(options: SimnetOptions = {}): Promise<Simnet> {
  return startSimnet({ port: 0, wsPort: 0, ledgerDir: null, ...options });
}

export interface RpcReply {
  status: number;
  body: unknown;
  text: string;
}

/** POSTs a raw body and parses the answer (any JSON), keeping the HTTP status. */
export async function post(url: string, body: string, headers: Record<string, string> = { "content-type": "application/json" }): Promise<RpcReply> {
  const res = await fetch(url, { method: "POST", headers, body });
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = undefined;
  }
  return { status: res.status, body: parsed, text };
}

export interface RpcResponse {
  jsonrpc: string;
  id: unknown;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

/** One JSON-RPC call; returns the whole response object. */
export async function call(url: string, method: string, params?: unknown[]): Promise<RpcResponse> {
  const reply = await post(url, JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }));
  return reply.body as RpcResponse;
}

/** One JSON-RPC call that must succeed; returns its result. */
export async function result<T = unknown>(url: string, method: string, params?: unknown[]): Promise<T> {
  const response = await call(url, method, params);
  if (response.error) throw new Error(`${method}: ${response.error.code} ${response.error.message}`);
  return response.result as T;
}

/** A web3.js Connection to the chain (PubSub on its own port, as a client would configure it). */
export function connect(sim: Simnet, commitment: Commitment = "confirmed"): Connection {
  return new Connection(sim.rpcUrl, { commitment, wsEndpoint: sim.wsUrl });
}

/**
 * Closes a Connection's WebSocket for good. web3.js has no public close, and it reconnects after a close
 * while any subscription is still registered (confirmTransaction removes its own asynchronously), so this
 * waits for its subscriptions to be gone, then closes with code 1000. The fields are private but stable
 * across web3.js 1.x.
 */
export async function disconnect(connection: Connection): Promise<void> {
  const internals = connection as unknown as {
    _rpcWebSocket?: { close(): void; reconnect: boolean; socket?: { readyState: number } };
    _subscriptionsByHash?: Record<string, unknown>;
  };
  const ws = internals._rpcWebSocket;
  if (!ws) return;
  const deadline = Date.now() + 2_000;
  while (Object.keys(internals._subscriptionsByHash ?? {}).length > 0 && Date.now() < deadline) await sleep(20);
  // rpc-websockets reconnects after an abnormal close (a server killed mid-handshake): not any more.
  ws.reconnect = false;
  if (ws.socket && ws.socket.readyState < 2) ws.close();
  while (ws.socket && ws.socket.readyState !== 3 && Date.now() < deadline + 1_000) await sleep(20);
}

/** A new keypair holding `sol` SOL, airdropped and confirmed. */
export async function fundedKeypair(connection: Connection, sol = 10): Promise<Keypair> {
  const keypair = Keypair.generate();
  const latest = await connection.getLatestBlockhash();
  const signature = await connection.requestAirdrop(keypair.publicKey, sol * LAMPORTS_PER_SOL);
  await connection.confirmTransaction({ signature, ...latest });
  return keypair;
}

/** A fresh temporary directory, removed by the returned cleanup. */
export function tempDir(prefix: string): { dir: string; remove(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/**
 * A private copy of the built program (building it first if missing), so a concurrent rebuild of
 * target/ cannot change it under a test.
 */
export function programCopy(dir: string): { soPath: string; elf: Buffer } {
  if (!fs.existsSync(PROGRAM_SO_PATH)) {
    const built = spawnSync("npm", ["run", "-s", "build:program"], { cwd: repoRoot, stdio: "inherit", timeout: 30 * 60_000 });
    if (built.status !== 0 || !fs.existsSync(PROGRAM_SO_PATH)) throw new Error("npm run build:program failed; target/deploy/prepaid_billing.so is missing");
  }
  const soPath = path.join(dir, "prepaid_billing.so");
  fs.copyFileSync(PROGRAM_SO_PATH, soPath);
  return { soPath, elf: fs.readFileSync(soPath) };
}

export function programKeypair(): Keypair {
  return Keypair.fromSecretKey(Uint8Array.from(JSON.parse(fs.readFileSync(PROGRAM_KEYPAIR_PATH, "utf8")) as number[]));
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` every 20 ms until it returns true or `timeoutMs` passes. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 5_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

export interface CommandResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a TypeScript entry point with tsx and collects its output (without blocking this process). */
export function runCommand(script: string, args: string[], timeoutMs = 120_000): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(repoRoot, "node_modules", "tsx", "dist", "cli.mjs"), script, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    });
  });
}
