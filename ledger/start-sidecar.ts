// Spawns the embedded ledger (ledger/sidecar/main.ts) as a child process and resolves once it
// answers. Used by `npm start` (embedded mode) and by tests.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as path from "node:path";
import * as readline from "node:readline";
import { SidecarError } from "./sidecar/errors";

const repoRoot = path.resolve(__dirname, "..");
const MAIN = path.join(__dirname, "sidecar", "main.ts");

export interface SidecarProcessOptions {
  /** TCP port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** Data directory (default .data/ledger/). */
  dataDir?: string;
  /** convex/ functions directory (default the repository's convex/). */
  functionsDir?: string;
  /** Run crons.ts on timers (default true). */
  crons?: boolean;
  /** fdatasync each commit (default true). */
  fsync?: boolean;
  /** The ledger's server secret; default LEDGER_SERVER_SECRET, else a random one for this run. */
  serverSecret?: string;
  /** Extra environment for the functions. */
  env?: Record<string, string>;
  /** How long to wait for the first answer, ms (default 30 000). */
  timeoutMs?: number;
  /**
   * CPU priority (Linux nice, 1–19) to run the sidecar at, through nice(1); default the caller's. A
   * benchmark gives it the lowest: the ledger stands in for a service that runs elsewhere.
   */
  nice?: number;
  /** Every JSON event line the sidecar prints (listening, cron_run, store_recovered …). */
  onEvent?(event: Record<string, unknown>): void;
}

export interface SidecarProcess {
  url: string;
  pid: number;
  serverSecret: string;
  child: ChildProcess;
  /** SIGTERM (clean: snapshot, lock released) and wait for exit; SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL, as a crash would, and wait until the process is gone. */
  kill(): Promise<void>;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

export async function startSidecarProcess(options: SidecarProcessOptions = {}): Promise<SidecarProcess> {
  const serverSecret =
    options.serverSecret ?? process.env.LEDGER_SERVER_SECRET ?? randomBytes(24).toString("base64url");
  const args = ["--import", "tsx", MAIN, "--port", String(options.port ?? 0)];
  if (options.dataDir !== undefined) args.push("--data-dir", path.resolve(options.dataDir));
  if (options.functionsDir !== undefined) args.push("--functions-dir", path.resolve(options.functionsDir));
  if (options.crons === false) args.push("--no-crons");
  const nice = options.nice;
  if (nice !== undefined && !(Number.isInteger(nice) && nice >= 1 && nice <= 19)) throw new RangeError(`nice must be an integer from 1 to 19, got ${nice}`);
  const [command, commandArgs] = nice === undefined ? [process.execPath, args] : ["nice", ["-n", String(nice), process.execPath, ...args]];
  const child = spawn(command, commandArgs, {
    cwd: repoRoot, // `--import tsx` resolves from here
    env: {
      ...process.env,
      ...options.env,
      LEDGER_SERVER_SECRET: serverSecret,
      LEDGER_FSYNC: options.fsync === false ? "0" : "1",
    },
    // The IPC channel closes when this process dies: the sidecar then shuts itself down.
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
  child.channel?.unref();

  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString("utf8")).slice(-8192);
  });
  // stdout is read for the process's whole life, or a chatty sidecar would block on a full pipe.
  const lines = readline.createInterface({ input: child.stdout! });
  const ready = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new SidecarError("sidecar_start_failed", `no answer within ${options.timeoutMs ?? 30_000} ms`));
    }, options.timeoutMs ?? 30_000);
    let failure = "";
    lines.on("line", (line) => {
      let event: Record<string, unknown>;
      try {
        event = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return; // a function's console output
      }
      options.onEvent?.(event);
      if (event.event === "listening") {
        clearTimeout(timer);
        resolve(String(event.url));
      } else if (event.event === "failed") {
        failure = String(event.message);
      }
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(
        new SidecarError(
          "sidecar_start_failed",
          `the ledger sidecar exited (${signal ?? code}) before answering: ${failure || stderr.trim() || "no output"}`,
        ),
      );
    });
  });
  const url = await ready;

  return {
    url,
    pid: child.pid!,
    serverSecret,
    child,
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      // Closing the IPC channel asks the sidecar to stop cleanly (see ledger/sidecar/main.ts). It is
      // preferred over SIGTERM because tsx's loader in the child may hand signals to a tsx process
      // up the tree instead of to the sidecar's own handler, which would then never run.
      if (child.connected) child.disconnect();
      else child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited(child);
      clearTimeout(timer);
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGKILL");
      await exited(child);
    },
  };
}

export interface LedgerConnection {
  url: string;
  mode: "convex" | "embedded";
  serverSecret: string | undefined;
  /** The sidecar, when this call started one. */
  sidecar: SidecarProcess | null;
  stop(): Promise<void>;
}

/**
 * What `npm start` needs: the Convex deployment when `CONVEX_URL` is set (nothing is started), else
 * an embedded sidecar on `LEDGER_PORT` (default 3210) with the default data directory.
 */
export async function connectLedger(
  options: SidecarProcessOptions = {},
  env: Record<string, string | undefined> = process.env,
): Promise<LedgerConnection> {
  if (env.CONVEX_URL) {
    return { url: env.CONVEX_URL, mode: "convex", serverSecret: env.LEDGER_SERVER_SECRET, sidecar: null, stop: async () => {} };
  }
  const sidecar = await startSidecarProcess({ port: Number(env.LEDGER_PORT ?? 3210), ...options });
  return { url: sidecar.url, mode: "embedded", serverSecret: sidecar.serverSecret, sidecar, stop: () => sidecar.stop() };
}
