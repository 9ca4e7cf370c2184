// The whole product on one machine, as `npm start` runs it and as tests (end-to-end, browser) start it:
//   1. the local chain (simnet over litesvm; persisted in <data>/simnet unless in memory), or any cluster's RPC;
//   2. the program deployed through the upgradeable loader, a local 6-decimal USDC mint and the config
//      (migrations/deploy.ts, idempotent);
//   3. the ledger sidecar running convex/ (<data>/ledger);
//   4. the demo teams (seed.ts), found again on a later start;
//   5. the faucet (faucet.ts);
//   6. the app: `next start` serving the dashboard and the paid /api/v1 endpoints, with the gateway, the
//      settler and the indexer in its process (built first when its sources changed; the build runs while
//      steps 1–5 do).
// `startStack` resolves once every part answers; `stop()` stops them in reverse order. Ports are
// configurable (0 = a free one); every server binds 127.0.0.1.
import * as fs from "node:fs";
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import { Connection, LAMPORTS_PER_SOL, PublicKey, type Keypair } from "@solana/web3.js";
import { startSidecarProcess, type SidecarProcess } from "../../ledger/start-sidecar";
import { createLedgerClient, type LedgerClient } from "../../ledger/client";
import { deploy, DEFAULT_PROGRAM_KEYPAIR_PATH, type DeployResult } from "../../migrations/deploy";
import { buildGateway, COMPILED_DIR } from "../../gateway/build";
import { startChild, type Child } from "./children";
import { StackError } from "./errors";
import { startFaucet, type Faucet } from "./faucet";
import { loadOrCreateKeypair, readKeypairFile } from "./keys";
import { claimPort, freePortPair, HOST } from "./net";
import { APP_NAME, ensureAppBuild, startApp, type BuildResult } from "./next-app";
import { DEFAULT_DATA_DIR, DEFAULT_DIST_DIR, REPO_ROOT, SO_PATH, stackPaths, type StackPaths } from "./paths";
import { seedDemo, type Demo } from "./seed";
import { billingClient } from "./teams";

export const DEFAULT_PORTS = { rpc: 8899, ledger: 3210, app: 3000, faucet: 9900 } as const;

export interface StackOptions {
  /** Where everything persists. Default the repository's .data/. */
  dataDir?: string;
  /**
   * The chain: "simnet" (default) starts the local chain persisted in <data>/simnet; "memory" starts it
   * without persistence; a URL uses that cluster's JSON-RPC (nothing is started; no airdrops, no faucet).
   */
  chain?: "simnet" | "memory" | { rpcUrl: string };
  /**
   * Ports on 127.0.0.1; 0 = any free port. Defaults: RPC 8899, PubSub the RPC port + 1 (where web3.js looks
   * for it; with rpc 0 a free pair is chosen), ledger 3210, app 3000, faucet 9900.
   */
  ports?: { rpc?: number; ws?: number; ledger?: number; app?: number; faucet?: number };
  /** The app's build directory, relative to the repository. Default .next. */
  distDir?: string;
  /** "auto" (default): build when the sources changed; "force": always; "skip": use what is there. */
  build?: "auto" | "force" | "skip";
  /** Start afresh: the chain, the ledger, the gateway's usage log and the demo file are deleted (keys are kept). */
  reset?: boolean;
  /** Notice before withdraw_unused, seconds, for a config this start creates. Default 900. */
  withdrawalNoticeSecs?: bigint;
  /** Seed (or find) the demo teams. Default true. */
  seedDemo?: boolean;
  /** Payer, upgrade authority, config admin and USDC mint authority. Default <data>/stack/keys/admin.json (created). */
  adminKeyFile?: string;
  /** The config's billing authority (signs deduct_usage in the app). Default <data>/stack/keys/billing-authority.json (created). */
  billingAuthorityKeyFile?: string;
  /** fdatasync each ledger commit. Default true. */
  ledgerFsync?: boolean;
  /** Extra environment for the app. */
  appEnv?: Record<string, string>;
  /** Progress lines. */
  log?: (line: string) => void;
  /** Every output line of every child, with its name (verbose mode). */
  onChildLine?: (name: string, line: string) => void;
  /** Aborts a start in progress (what was started is stopped). */
  signal?: AbortSignal;
}

export interface StackHandle {
  /** The dashboard and the paid API (/api/v1/…). */
  appUrl: string;
  rpcUrl: string;
  wsUrl: string;
  ledgerUrl: string;
  /** The ledger's server secret (LEDGER_SERVER_SECRET of the app). */
  ledgerSecret: string;
  /** Null on an external cluster. */
  faucetUrl: string | null;
  deployment: DeployResult;
  programId: PublicKey;
  usdcMint: PublicKey;
  admin: Keypair;
  adminKeyFile: string;
  billingAuthority: Keypair;
  billingAuthorityKeyFile: string;
  connection: Connection;
  ledger: LedgerClient;
  paths: StackPaths;
  demo: Demo | null;
  /** Seconds each start step took, and the total. */
  timings: Record<string, number>;
  build: BuildResult;
  /** The app's last output lines (for failures). */
  appOutput(): string;
  /**
   * Stops the app (SIGKILL when `kill`, as a crash would) and starts it again on the same port, data and
   * environment. Sends it no request: what starts with the app is all that runs.
   */
  restartApp(o?: { kill?: boolean }): Promise<void>;
  /** Stops the local chain and starts it again on the same ports and journal (persisted simnet only). */
  restartChain(): Promise<void>;
  /** Resolves when a child process exits without being asked to (its name and output). */
  crashed: Promise<{ name: string; output: string }>;
  stop(): Promise<void>;
}

const SIMNET_MAIN = path.join(REPO_ROOT, "simnet", "main.ts");

function readOrCreateSecret(file: string): string {
  try {
    const parsed = JSON.parse(fs.readFileSync(file, "utf8")) as { ledgerServerSecret?: unknown };
    if (typeof parsed.ledgerServerSecret === "string" && parsed.ledgerServerSecret.length >= 16) return parsed.ledgerServerSecret;
  } catch {
    // created below
  }
  const secret = randomBytes(24).toString("base64url");
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify({ ledgerServerSecret: secret }) + "\n", { mode: 0o600 });
  return secret;
}

function clusterOf(chain: StackOptions["chain"]): string {
  if (chain === undefined || chain === "simnet" || chain === "memory") return "localnet";
  if (chain.rpcUrl.includes("devnet")) return "devnet";
  if (chain.rpcUrl.includes("mainnet")) return "mainnet-beta";
  return "localnet";
}

export async function startStack(options: StackOptions = {}): Promise<StackHandle> {
  const started = Date.now();
  const log = options.log ?? (() => {});
  const timings: Record<string, number> = {};
  const timed = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    const t = Date.now();
    const result = await work();
    timings[name] = (Date.now() - t) / 1000;
    return result;
  };
  const checkAbort = () => {
    if (options.signal?.aborted) throw new StackError("child_exited", "start aborted");
  };

  if (!fs.existsSync(SO_PATH)) throw new StackError("program_missing", `${SO_PATH} is missing: build it with npm run build:program`);
  const paths = stackPaths(options.dataDir ?? DEFAULT_DATA_DIR);
  const chainMode = options.chain ?? "simnet";
  const external = typeof chainMode === "object" ? chainMode.rpcUrl : null;
  const distDir = options.distDir ?? DEFAULT_DIST_DIR;
  const buildMode = options.build ?? "auto";
  if (buildMode === "skip" && !fs.existsSync(path.join(REPO_ROOT, distDir, "BUILD_ID"))) {
    throw new StackError("build_failed", `there is no app build in ${distDir} to serve (build it, or leave build as "auto")`);
  }

  const ports = options.ports ?? {};
  const rpcPort = external ? 0 : ports.rpc === 0 ? await freePortPair() : await claimPort(ports.rpc ?? DEFAULT_PORTS.rpc, "the local chain (RPC)");
  const wsPort = external ? 0 : await claimPort(ports.ws ?? rpcPort + 1, "the local chain (PubSub)");
  const ledgerPort = await claimPort(ports.ledger ?? DEFAULT_PORTS.ledger, "the ledger");
  const appPort = await claimPort(ports.app ?? DEFAULT_PORTS.app, "the app");
  const faucetPort = external ? 0 : await claimPort(ports.faucet ?? DEFAULT_PORTS.faucet, "the faucet");
  // A stack still running on this data directory (its state file names a live process) is left alone.
  const running = runningStackPid(paths.state);
  if (running !== null) throw new StackError("data_dir_in_use", `another stack (pid ${running}) runs on ${paths.root}`);
  if (options.reset) {
    for (const dir of [paths.simnet, paths.ledger, path.dirname(paths.gatewayUsage)]) fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(paths.demo, { force: true });
  }
  fs.mkdirSync(paths.stack, { recursive: true });

  const children = new Map<string, Child>();
  let sidecar: SidecarProcess | null = null;
  let faucet: Faucet | null = null;
  let stopping = false;
  let reportCrash: (c: { name: string; output: string }) => void = () => {};
  const crashed = new Promise<{ name: string; output: string }>((resolve) => (reportCrash = resolve));
  const watch = (child: Child) => {
    children.set(child.name, child);
    void child.whenExited().then(() => {
      if (!stopping && children.get(child.name) === child) reportCrash({ name: child.name, output: child.output() });
    });
  };
  // Should this process end without stop() (an uncaught error, process.exit), its children must not
  // outlive it: they get SIGTERM on the way out (the ledger sidecar also watches its IPC channel).
  const orphanGuard = () => {
    for (const child of children.values()) if (!child.exited()) child.process.kill("SIGTERM");
    if (sidecar && sidecar.child.exitCode === null) sidecar.child.kill("SIGTERM");
  };
  process.once("exit", orphanGuard);
  const stopAll = async () => {
    stopping = true;
    // The app first (its settler still reaches the chain and the ledger), the chain last.
    await children.get(APP_NAME)?.stop();
    await faucet?.close();
    await sidecar?.stop();
    await children.get("simnet")?.stop();
    process.off("exit", orphanGuard);
  };

  // The app's build runs while the chain, the deployment, the ledger and the seeding proceed.
  const buildAbort = new AbortController();
  const abortBuild = () => buildAbort.abort();
  options.signal?.addEventListener("abort", abortBuild);
  const building: Promise<BuildResult> =
    buildMode === "skip"
      ? Promise.resolve({ built: false, seconds: 0 })
      : timed("app build", () => ensureAppBuild(distDir, path.join(paths.logs, "next-build.log"), log, buildMode === "force", buildAbort.signal));
  building.catch(() => undefined); // awaited below; a failure must not surface as unhandled meanwhile
  // The gateway's worker threads, compiled: inside the app's bundle they start from these
  // (GATEWAY_WORKERS_DIR), so settlement and the chain and ledger clients stay off the request thread.
  const buildingWorkers = timed("gateway workers build", () => buildGateway()).catch((err: unknown) => {
    throw new StackError("build_failed", `the gateway's workers did not build: ${err instanceof Error ? err.message : String(err)}`);
  });
  buildingWorkers.catch(() => undefined);

  try {
    // 1. Chain.
    let rpcUrl: string;
    let wsUrl: string;
    const startSimnet = async (): Promise<void> => {
      const args = ["--import", "tsx", SIMNET_MAIN, "--host", HOST, "--port", String(rpcPort), "--ws-port", String(wsPort)];
      if (chainMode === "memory") args.push("--memory");
      else args.push("--ledger-dir", paths.simnet); // --reset removed it already
      const child = startChild({
        name: "simnet",
        command: process.execPath,
        args,
        cwd: REPO_ROOT,
        env: process.env,
        logFile: path.join(paths.logs, "simnet.log"),
        onLine: options.onChildLine && ((line) => options.onChildLine!("simnet", line)),
      });
      watch(child);
      const ready = await child.waitForLine(/simnet ready/, 180_000);
      log(ready.replace(/^simnet ready: /, "chain: "));
    };
    if (external) {
      rpcUrl = external;
      wsUrl = external.replace(/^http/, "ws");
    } else {
      await timed("chain", () => startSimnet());
      rpcUrl = `http://${HOST}:${rpcPort}`;
      wsUrl = `ws://${HOST}:${wsPort}`;
    }
    checkAbort();
    const connection = new Connection(rpcUrl, { commitment: "confirmed", wsEndpoint: wsUrl });

    // 2. Program, USDC mint, config.
    const adminKeyFile = options.adminKeyFile ?? paths.keys.admin;
    const admin = options.adminKeyFile ? readKeypairFile(adminKeyFile) : loadOrCreateKeypair(adminKeyFile);
    const billingAuthorityFile = options.billingAuthorityKeyFile ?? paths.keys.billingAuthority;
    const billingAuthority = options.billingAuthorityKeyFile ? readKeypairFile(billingAuthorityFile) : loadOrCreateKeypair(billingAuthorityFile);
    const deployment = await timed("deploy", () =>
      deploy({
        url: rpcUrl,
        payer: admin,
        programKeypair: readKeypairFile(DEFAULT_PROGRAM_KEYPAIR_PATH),
        elf: fs.readFileSync(SO_PATH),
        usdcMint: "local",
        billingAuthority: billingAuthority.publicKey,
        withdrawalNoticeSecs: options.withdrawalNoticeSecs,
        airdropBelow: external ? undefined : 100n * BigInt(LAMPORTS_PER_SOL),
        log: (line) => log(`deploy: ${line}`),
      }),
    );
    if (deployment.billingAuthority !== billingAuthority.publicKey.toBase58()) {
      throw new StackError(
        "deployment_mismatch",
        `the config's billing authority is ${deployment.billingAuthority}, not ${billingAuthority.publicKey.toBase58()} (${billingAuthorityFile}): the app could not settle usage`,
      );
    }
    if (!external && (await connection.getBalance(billingAuthority.publicKey, "confirmed")) < LAMPORTS_PER_SOL) {
      const latest = await connection.getLatestBlockhash("confirmed");
      const sig = await connection.requestAirdrop(billingAuthority.publicKey, 10 * LAMPORTS_PER_SOL);
      await connection.confirmTransaction({ signature: sig, ...latest }, "confirmed");
    }
    const programId = new PublicKey(deployment.programId);
    const usdcMint = new PublicKey(deployment.usdcMint);
    checkAbort();

    // 3. Ledger.
    const ledgerSecret = readOrCreateSecret(paths.secrets);
    sidecar = await timed("ledger", () =>
      startSidecarProcess({ port: ledgerPort, dataDir: paths.ledger, serverSecret: ledgerSecret, fsync: options.ledgerFsync ?? true, timeoutMs: 120_000 }),
    );
    const ledgerProcess = sidecar.child;
    ledgerProcess.once("exit", (code, signal) => {
      if (!stopping) reportCrash({ name: "ledger", output: `the ledger sidecar exited (${signal ?? code})` });
    });
    log(`ledger: ${sidecar.url} (${path.relative(process.cwd(), paths.ledger) || paths.ledger})`);
    const ledger = createLedgerClient({ url: sidecar.url, serverSecret: ledgerSecret });
    checkAbort();

    // 4. Demo teams.
    const client = billingClient(connection, admin, programId);
    const demo =
      options.seedDemo === false
        ? null
        : await timed("demo seed", () => seedDemo({ connection, client, ledger, admin, usdcMint, paths }));
    if (demo) log(demo.actions.length ? `demo: ${demo.actions.join("; ")}` : "demo: found the demo teams of an earlier start");
    checkAbort();

    // 5. Faucet.
    if (!external) {
      faucet = await startFaucet({ connection, rpcUrl, mintAuthority: admin, mint: usdcMint, port: faucetPort, log });
    }

    // 6. App.
    const build = await building;
    await buildingWorkers;
    checkAbort();
    const appEnv: Record<string, string> = {
      SOLANA_RPC_URL: rpcUrl,
      SOLANA_WS_URL: wsUrl,
      SOLANA_CLUSTER: clusterOf(chainMode),
      PREPAID_BILLING_PROGRAM_ID: deployment.programId,
      USDC_MINT: deployment.usdcMint,
      LEDGER_URL: sidecar.url,
      LEDGER_SERVER_SECRET: ledgerSecret,
      APP_DATA_DIR: paths.app,
      BILLING_AUTHORITY_KEYPAIR: billingAuthorityFile,
      GATEWAY_USAGE_DIR: paths.gatewayUsage,
      GATEWAY_WORKERS_DIR: COMPILED_DIR,
      ...(faucet ? { FAUCET_URL: faucet.url } : {}),
      ...options.appEnv,
    };
    const launchApp = () =>
      startApp({ distDir, port: appPort, env: appEnv, logFile: path.join(paths.logs, "app.log"), onLine: options.onChildLine && ((line) => options.onChildLine!("app", line)) });
    let app = await timed("app start", launchApp);
    watch(app.child);
    // The gateway runtime (settler, indexer, balance polling) starts with the app (instrumentation.ts
    // startBilling()), or at the latest with the first paid request: a request without a key waits for it
    // (and is refused 401), so settlement and indexing run from now on.
    await timed("gateway warm-up", async () => {
      const res = await fetch(`${app.url}/api/v1/verify`, { method: "POST", body: "{}", headers: { "content-type": "application/json" } });
      await res.arrayBuffer();
      if (res.status !== 401) throw new StackError("child_exited", `the gateway did not start: POST /api/v1/verify without a key answered ${res.status}:\n${app.child.output().trim()}`);
    });
    log(`app: ${app.url}`);
    timings.total = (Date.now() - started) / 1000;

    const handle: StackHandle = {
      appUrl: app.url,
      rpcUrl,
      wsUrl,
      ledgerUrl: sidecar.url,
      ledgerSecret,
      faucetUrl: faucet?.url ?? null,
      deployment,
      programId,
      usdcMint,
      admin,
      adminKeyFile,
      billingAuthority,
      billingAuthorityKeyFile: billingAuthorityFile,
      connection,
      ledger,
      paths,
      demo,
      timings,
      build,
      appOutput: () => app.child.output(),
      crashed,
      async restartApp(o = {}) {
        const old = app.child;
        children.delete(APP_NAME); // a stop on purpose, not a crash
        if (o.kill) {
          old.process.kill("SIGKILL");
          await old.whenExited();
        } else {
          await old.stop();
        }
        app = await launchApp();
        watch(app.child);
      },
      async restartChain() {
        if (external || chainMode === "memory") throw new StackError("usage", "restartChain needs the persisted local chain");
        const old = children.get("simnet");
        children.delete("simnet");
        await old?.stop();
        await startSimnet();
      },
      async stop() {
        await stopAll();
        fs.rmSync(paths.state, { force: true });
      },
    };
    writeState(handle);
    return handle;
  } catch (err) {
    buildAbort.abort();
    await stopAll();
    await building.catch(() => undefined);
    await buildingWorkers.catch(() => undefined);
    throw err;
  } finally {
    options.signal?.removeEventListener("abort", abortBuild);
  }
}

/** What a running stack serves, for tools (npm run e2e --stack, the dashboard's own scripts). */
export interface StackState {
  pid: number;
  appUrl: string;
  rpcUrl: string;
  wsUrl: string;
  ledgerUrl: string;
  faucetUrl: string | null;
  programId: string;
  usdcMint: string;
  config: string;
  treasury: string;
  stakerPool: string;
  adminKeyFile: string;
  billingAuthorityKeyFile: string;
  ledgerSecretFile: string;
}

/** The pid in a state file when that process is alive (and not this one), else null. */
function runningStackPid(file: string): number | null {
  try {
    const { pid } = JSON.parse(fs.readFileSync(file, "utf8")) as { pid?: unknown };
    if (typeof pid !== "number" || pid === process.pid) return null;
    process.kill(pid, 0); // throws when there is no such process
    return pid;
  } catch {
    return null;
  }
}

function writeState(s: StackHandle): void {
  const state: StackState = {
    pid: process.pid,
    appUrl: s.appUrl,
    rpcUrl: s.rpcUrl,
    wsUrl: s.wsUrl,
    ledgerUrl: s.ledgerUrl,
    faucetUrl: s.faucetUrl,
    programId: s.deployment.programId,
    usdcMint: s.deployment.usdcMint,
    config: s.deployment.config,
    treasury: s.deployment.treasury,
    stakerPool: s.deployment.stakerPool,
    adminKeyFile: s.adminKeyFile,
    billingAuthorityKeyFile: s.billingAuthorityKeyFile,
    ledgerSecretFile: s.paths.secrets,
  };
  fs.writeFileSync(s.paths.state, JSON.stringify(state, null, 2) + "\n", { mode: 0o600 });
}
