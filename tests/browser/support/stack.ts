// The product for browser tests: npm start's stack (scripts/stack, `startStack`) on free ports of
// 127.0.0.1 with an in-memory chain and a temporary data directory, serving the build in
// .cache/next-stack (rebuilt only when the app's sources changed). What is browser-specific stays here:
// funding a test wallet through the stack's faucet. `startChainAndLedger` (the chain and the ledger
// without the app) serves the API route tests in lib/api.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as readline from "node:readline";
import { createAssociatedTokenAccountIdempotentInstruction, createMintToInstruction, getAssociatedTokenAddressSync } from "@solana/spl-token";
import { Connection, Keypair, LAMPORTS_PER_SOL, PublicKey, Transaction } from "@solana/web3.js";
import { startSidecarProcess, type SidecarProcess } from "../../../ledger/start-sidecar";
import { createLedgerClient, type LedgerClient } from "../../../ledger/client";
import { deploy, DEFAULT_PROGRAM_KEYPAIR_PATH, DEFAULT_SO_PATH, type DeployResult } from "../../../migrations/deploy";
import { readKeypairFile } from "../../../scripts/stack/keys";
import { freePortPair } from "../../../scripts/stack/net";
import { REPO_ROOT, TEST_DIST_DIR } from "../../../scripts/stack/paths";
import { startStack as startProductStack, type StackHandle } from "../../../scripts/stack/stack";

export { REPO_ROOT };

export interface BrowserStackOptions {
  /** Seconds between a withdrawal request and its execution (short, so a test can wait for it). Default 3. */
  withdrawalNoticeSecs?: bigint;
  /** Extra environment for the app. */
  appEnv?: Record<string, string>;
  log?: (line: string) => void;
}

/** npm start's stack; stop() also removes its temporary data directory. */
export type Stack = StackHandle;

/** npm start's stack in a temporary directory: in-memory chain, free ports, no demo teams. */
export async function startStack(options: BrowserStackOptions = {}): Promise<Stack> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "dashboard-stack-"));
  let stack: StackHandle;
  try {
    stack = await startProductStack({
      dataDir,
      chain: "memory",
      ports: { rpc: 0, ledger: 0, app: 0, faucet: 0 },
      distDir: TEST_DIST_DIR,
      withdrawalNoticeSecs: options.withdrawalNoticeSecs ?? 3n,
      ledgerFsync: false,
      seedDemo: false,
      appEnv: options.appEnv,
      log: options.log,
    });
  } catch (error) {
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const stopStack = stack.stop.bind(stack);
  return {
    ...stack,
    async stop() {
      try {
        await stopStack();
      } finally {
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}

/** Gives `wallet` the faucet's 2 SOL for fees and `usdc` base units of the local USDC, through POST /fund. */
export async function fundFromFaucet(stack: Stack, wallet: PublicKey, usdc: bigint): Promise<void> {
  if (!stack.faucetUrl) throw new Error("the stack runs no faucet (external cluster)");
  const res = await fetch(`${stack.faucetUrl}/fund`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ wallet: wallet.toBase58(), usdc: usdc.toString() }),
  });
  if (res.status !== 200) throw new Error(`faucet refused ${wallet.toBase58()}: ${res.status} ${await res.text()}`);
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
export async function startChainAndLedger(options: Pick<BrowserStackOptions, "withdrawalNoticeSecs" | "log"> = {}): Promise<ChainAndLedger> {
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
