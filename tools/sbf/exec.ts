// Runs external tools (apt-get, rustc, llc-19…) and turns failures into errors that carry the tool's
// own message, so a compile error reads like the compiler wrote it.
import { spawnSync, type SpawnSyncOptions } from "node:child_process";

export class ToolError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ToolError";
  }
}

/** Lines of a failing tool's output kept in the error message. */
const MAX_ERROR_LINES = 200;

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Stream the tool's output to this process's stdout/stderr instead of capturing it. */
  inherit?: boolean;
  /** Milliseconds before the tool is killed; apt and sysroot builds get minutes, compilers less. */
  timeoutMs?: number;
  input?: string | Buffer;
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** Runs `cmd args…`; throws ToolError(code) with the tool's stderr when it fails or cannot start. */
export function run(code: string, cmd: string, args: string[], opts: RunOptions = {}): RunResult {
  const spawnOpts: SpawnSyncOptions = {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: opts.inherit ? ["ignore", "inherit", "inherit"] : ["pipe", "pipe", "pipe"],
    timeout: opts.timeoutMs ?? 10 * 60_000,
    maxBuffer: 256 * 1024 * 1024,
    input: opts.input,
  };
  const result = spawnSync(cmd, args, spawnOpts);
  const stdout = result.stdout ? result.stdout.toString() : "";
  const stderr = result.stderr ? result.stderr.toString() : "";
  if (result.error) {
    throw new ToolError(code, `${cmd} could not run: ${result.error.message}`);
  }
  if (result.status !== 0) {
    const how = result.signal ? `was killed by ${result.signal}` : `exited with ${result.status}`;
    // Compilers print the first (most useful) error first: keep the head of long output.
    const lines = (stderr.trim() || stdout.trim()).split("\n");
    const output = lines.length > MAX_ERROR_LINES
      ? [...lines.slice(0, MAX_ERROR_LINES), `… ${lines.length - MAX_ERROR_LINES} more lines`].join("\n")
      : lines.join("\n");
    throw new ToolError(code, `${cmd} ${how}\n  command: ${[cmd, ...args].join(" ")}${output ? `\n${output}` : ""}`);
  }
  return { stdout, stderr };
}

/** True when `cmd` can be started (found on PATH or at the given absolute path). */
export function canRun(cmd: string, args: string[] = ["--version"]): boolean {
  const result = spawnSync(cmd, args, { stdio: "ignore", timeout: 30_000 });
  return !result.error && result.status === 0;
}
