// The product on one machine for browser tests, each part on a free port of 127.0.0.1: the local chain
// (simnet, in memory), the program deployed through the loader with a local USDC mint (migrations/
// deploy.ts), the ledger sidecar (temporary data directory), and the dashboard built and served by
// `next start` (which also hosts the gateway's /api/v1 routes, settler and indexer). Until `npm start`
// assembles the same stack, the tests start it themselves.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import * as readline from "node:readline";
import { createAssociatedTokenAccountIdempotentInstruction, createMintToInstruction, getAssociatedTokenAddressSync } from "@solana/spl-token";
import { Connection, Keypair, LAMPORTS_PER_SOL, PublicKey, Transaction } from "@solana/web3.js";
import { startSidecarProcess, type SidecarProcess } from "../../../ledger/start-sidecar";
import { createLedgerClient, type LedgerClient } from "../../../ledger/client";
import { deploy, DEFAULT_PROGRAM_KEYPAIR_PATH, DEFAULT_SO_PATH, type DeployResult } from "../../../migrations/deploy";
import { startFaucet, type Faucet } from "../../../scripts/stack/faucet";

export const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");
/**
 * Where the tests' build of the dashboard goes (git-ignored, apart from a developer's .next/): one
 * directory per test process, so two `npm test` runs never build over each other; removed afterwards.
 * DASHBOARD_TEST_DIST_DIR names a build to keep (and, with DASHBOARD_TEST_SKIP_BUILD=1, to reuse).
 */
export function testDistDir(): { dir: string; keep: boolean } {
  const named = process.env.DASHBOARD_TEST_DIST_DIR;
  return named ? { dir: named, keep: true } : { dir: path.join(".cache", "next-browser", String(process.pid)), keep: false };
}

export interface StackOptions {
  /** Seconds between a withdrawal request and its execution (short, so a test can wait for it). */
  withdrawalNoticeSecs?: bigint;
  /** Reuse an existing build in DASHBOARD_TEST_DIST_DIR (DASHBOARD_TEST_SKIP_BUILD=1 does the same). */
  skipBuild?: boolean;
  /** Extra environment for the dashboard process. */
  env?: Record<string, string>;
  log?: (line: string) => void;
}

export interface Stack extends ChainAndLedger {
  appUrl: string;
  /** The dashboard's output so far (for failures). */
  appOutput(): string;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A free port whose successor is free too. */
async function freePortPair(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const port = await freePort();
    if (port < 65535 && (await portFree(port + 1))) return port;
  }
  throw new Error("no two adjacent free ports found");
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** Waits until `signature` is confirmed (polling, so no PubSub subscription is needed). */
export async function confirmed(connection: Connection, signature: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = (await connection.getSignatureStatuses([signature])).value[0];
    if (status?.err) throw new Error(`transaction ${signature} failed: ${JSON.stringify(status.err)}`);
    if (status?.confirmationStatus === "confirmed" || status?.confirmationStatus === "finalized") return;
    if (Date.now() > deadline) throw new Error(`transaction ${signature} not confirmed within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

/** Spawns `node --import tsx <script>` and resolves when a stdout line matches `ready`. */
async function startNodeScript(script: string, args: string[], ready: RegExp, env: NodeJS.ProcessEnv, timeoutMs: number) {
  const child = spawn(process.execPath, ["--import", "tsx", script, ...args], { cwd: REPO_ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stderr?.on("data", (c: Buffer) => (output = (output + c.toString()).slice(-8000)));
  const lines = readline.createInterface({ input: child.stdout! });
  const line = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} not ready within ${timeoutMs} ms: ${output}`)), timeoutMs);
    lines.on("line", (l) => {
      output = (output + l + "\n").slice(-8000);
      if (ready.test(l)) {
        clearTimeout(timer);
        resolve(l);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited (${code}) before it was ready: ${output}`));
    });
  });
  return { child, line };
}

async function waitForHttp(url: string, timeoutMs: number, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the dashboard exited (${child.exitCode}): ${output()}`);
    try {
      const res = await fetch(url, { redirect: "manual" });
      if (res.status < 500) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms: ${output()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** `next build` into `distDir` (relative to the repository). */
export function buildDashboard(distDir: string, log: (line: string) => void): void {
  log("building the dashboard (next build)…");
  const started = Date.now();
  const result = spawnSync(process.execPath, [path.join(REPO_ROOT, "node_modules", "next", "dist", "bin", "next"), "build"], {
    cwd: REPO_ROOT,
    env: { ...process.env, NEXT_DIST_DIR: distDir, NEXT_TELEMETRY_DISABLED: "1" },
    encoding: "utf8",
    timeout: 600_000,
  });
  if (result.status !== 0) throw new Error(`next build failed:\n${result.stdout}\n${result.stderr}`);
  log(`built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

function readKeypairFile(file: string): Keypair {
  return Keypair.fromSecretKey(Uint8Array.from(JSON.parse(fs.readFileSync(file, "utf8")) as number[]));
}

export interface ChainAndLedger {
  rpcUrl: string;
  connection: Connection;
  deployment: DeployResult;
  /** Payer of the deployment, mint authority of the local USDC and config admin. */
  admin: Keypair;
  usdcMint: PublicKey;
  /** A client of the ledger sidecar (tests act as any wallet through it). */
  ledger: LedgerClient;
  ledgerUrl: string;
  ledgerSecret: string;
  /** Keypair file of the config's billing authority (for the gateway's settler). */
  billingAuthorityFile: string;
  /** A temporary directory removed by stop(). */
  tmp: string;
  stop(): Promise<void>;
}

/** The local chain with the program deployed and configured, and the ledger sidecar. */
export async function startChainAndLedger(options: Pick<StackOptions, "withdrawalNoticeSecs" | "log"> = {}): Promise<ChainAndLedger> {
  const log = options.log ?? (() => {});
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "dashboard-stack-"));
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
    fs.rmSync(tmp, { recursive: true, force: true });
  };
  try {
    if (!fs.existsSync(DEFAULT_SO_PATH)) {
      log("building the program (npm run build:program)…");
      const built = spawnSync("npm", ["run", "build:program"], { cwd: REPO_ROOT, stdio: "inherit", timeout: 900_000 });
      if (built.status !== 0) throw new Error("npm run build:program failed");
    }
    // web3.js finds the PubSub endpoint at the RPC port + 1, as solana-validator lays them out.
    const rpcPort = await freePortPair();
    const simnet = await startNodeScript("simnet/main.ts", ["--port", String(rpcPort), "--ws-port", String(rpcPort + 1), "--memory"], /simnet ready/, process.env, 60_000);
    stops.push(() => stopChild(simnet.child));
    const rpcUrl = `http://127.0.0.1:${rpcPort}`;
    const connection = new Connection(rpcUrl, "confirmed");
    log(`chain on ${rpcUrl}`);

    // Program, USDC mint, config. The billing authority gets its own key, as in production.
    const admin = Keypair.generate();
    const billingAuthority = Keypair.generate();
    const billingAuthorityFile = path.join(tmp, "billing-authority.json");
    fs.writeFileSync(billingAuthorityFile, JSON.stringify(Array.from(billingAuthority.secretKey)), { mode: 0o600 });
    const deployment = await deploy({
      url: rpcUrl,
      payer: admin,
      programKeypair: readKeypairFile(DEFAULT_PROGRAM_KEYPAIR_PATH),
      elf: fs.readFileSync(DEFAULT_SO_PATH),
      usdcMint: "local",
      billingAuthority: billingAuthority.publicKey,
      withdrawalNoticeSecs: options.withdrawalNoticeSecs ?? 3n,
      airdropBelow: 100n * BigInt(LAMPORTS_PER_SOL),
      log,
    });
    await confirmed(connection, await connection.requestAirdrop(billingAuthority.publicKey, 10 * LAMPORTS_PER_SOL));
    log(`program ${deployment.programId}, USDC mint ${deployment.usdcMint}`);

    const sidecar: SidecarProcess = await startSidecarProcess({ dataDir: path.join(tmp, "ledger"), crons: false, fsync: false });
    stops.push(() => sidecar.stop());
    return {
      rpcUrl,
      connection,
      deployment,
      admin,
      usdcMint: new PublicKey(deployment.usdcMint),
      ledger: createLedgerClient({ url: sidecar.url, serverSecret: sidecar.serverSecret }),
      ledgerUrl: sidecar.url,
      ledgerSecret: sidecar.serverSecret,
      billingAuthorityFile,
      tmp,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Everything: chain, ledger, and the dashboard built and served by `next start`. */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const log = options.log ?? (() => {});
  const dist = testDistDir();
  const removeBuild = () => {
    if (!dist.keep) fs.rmSync(path.join(REPO_ROOT, dist.dir), { recursive: true, force: true });
  };
  const skipBuild = dist.keep && (options.skipBuild ?? process.env.DASHBOARD_TEST_SKIP_BUILD === "1");
  if (!skipBuild || !fs.existsSync(path.join(REPO_ROOT, dist.dir, "BUILD_ID"))) {
    try {
      buildDashboard(dist.dir, log);
    } catch (error) {
      removeBuild();
      throw error;
    }
  }
  let base: ChainAndLedger;
  try {
    base = await startChainAndLedger(options);
  } catch (error) {
    removeBuild();
    throw error;
  }
  let app: ChildProcess | null = null;
  let faucet: Faucet | null = null;
  let appLog = "";
  try {
    // The local faucet, as npm start runs it: the dashboard's local dev wallet is funded from it.
    faucet = await startFaucet({ connection: base.connection, rpcUrl: base.rpcUrl, mintAuthority: base.admin, mint: base.usdcMint, port: 0 });
    const appPort = await freePort();
    const appUrl = `http://127.0.0.1:${appPort}`;
    app = spawn(
      process.execPath,
      [path.join(REPO_ROOT, "node_modules", "next", "dist", "bin", "next"), "start", "-H", "127.0.0.1", "-p", String(appPort)],
      {
        cwd: REPO_ROOT,
        env: {
          ...process.env,
          NODE_ENV: "production",
          NEXT_DIST_DIR: dist.dir,
          NEXT_TELEMETRY_DISABLED: "1",
          SOLANA_RPC_URL: base.rpcUrl,
          SOLANA_CLUSTER: "localnet",
          PREPAID_BILLING_PROGRAM_ID: base.deployment.programId,
          LEDGER_URL: base.ledgerUrl,
          LEDGER_SERVER_SECRET: base.ledgerSecret,
          APP_DATA_DIR: path.join(base.tmp, "app"),
          BILLING_AUTHORITY_KEYPAIR: base.billingAuthorityFile,
          GATEWAY_USAGE_DIR: path.join(base.tmp, "gateway-usage"),
          FAUCET_URL: faucet.url,
          ...options.env,
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    const child = app;
    const faucetServer = faucet;
    const collect = (c: Buffer) => (appLog = (appLog + c.toString()).slice(-20_000));
    child.stdout?.on("data", collect);
    child.stderr?.on("data", collect);
    await waitForHttp(`${appUrl}/sign-in`, 60_000, child, () => appLog);
    log(`dashboard on ${appUrl}`);
    return {
      ...base,
      appUrl,
      appOutput: () => appLog,
      async stop() {
        if (child) await stopChild(child);
        await faucetServer.close();
        await base.stop();
        removeBuild();
      },
    };
  } catch (error) {
    if (app) await stopChild(app);
    await faucet?.close();
    await base.stop();
    removeBuild();
    throw error;
  }
}

/** Gives `wallet` SOL for fees and `usdc` base units of the local USDC (minted by the admin). */
export async function fundWallet(stack: ChainAndLedger, wallet: PublicKey, usdc: bigint): Promise<void> {
  await confirmed(stack.connection, await stack.connection.requestAirdrop(wallet, 2 * LAMPORTS_PER_SOL));
  if (usdc === 0n) return;
  const ata = getAssociatedTokenAddressSync(stack.usdcMint, wallet, true);
  const tx = new Transaction().add(
    createAssociatedTokenAccountIdempotentInstruction(stack.admin.publicKey, ata, wallet, stack.usdcMint),
    createMintToInstruction(stack.usdcMint, ata, stack.admin.publicKey, usdc),
  );
  tx.feePayer = stack.admin.publicKey;
  tx.recentBlockhash = (await stack.connection.getLatestBlockhash("confirmed")).blockhash;
  tx.sign(stack.admin);
  await confirmed(stack.connection, await stack.connection.sendRawTransaction(tx.serialize()));
}
