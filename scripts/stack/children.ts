// Child processes of the stack: spawned with their output kept (the last lines, for error messages),
// optionally waited for until a line says they are ready, and stopped with SIGTERM, then SIGKILL after a
// grace period. A child that dies on its own is reported through `onExit`, so the stack can stop the rest.
import { spawn, type ChildProcess } from "node:child_process";
import * as readline from "node:readline";
import { StackError } from "./errors";

/** Characters of a child's output kept for error messages. */
const OUTPUT_KEPT = 16_000;

export interface ChildOptions {
  /** Name used in messages ("simnet", "app"…). */
  name: string;
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Each line of stdout and stderr, as it comes. */
  onLine?: (line: string) => void;
}

export interface Child {
  readonly name: string;
  readonly process: ChildProcess;
  /** The last lines the child printed (stdout and stderr interleaved). */
  output(): string;
  /** Resolves with the first stdout/stderr line matching `pattern`; rejects if the child exits first or on timeout. */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<string>;
  /** Whether the child has exited. */
  exited(): boolean;
  /** Resolves when the child has exited (at once when it has). */
  whenExited(): Promise<void>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the child is gone. */
  stop(graceMs?: number): Promise<void>;
}

export function startChild(o: ChildOptions): Child {
  const child = spawn(o.command, o.args, { cwd: o.cwd, env: o.env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const watchers = new Set<(line: string) => void>();
  const onLine = (line: string) => {
    output = (output + line + "\n").slice(-OUTPUT_KEPT);
    o.onLine?.(line);
    for (const w of watchers) w(line);
  };
  readline.createInterface({ input: child.stdout! }).on("line", onLine);
  readline.createInterface({ input: child.stderr! }).on("line", onLine);
  const gone = new Promise<void>((resolve) => {
    child.once("exit", () => resolve());
    child.once("error", () => resolve());
  });
  const hasExited = () => child.exitCode !== null || child.signalCode !== null;

  return {
    name: o.name,
    process: child,
    output: () => output,
    exited: hasExited,
    whenExited: () => gone,
    waitForLine(pattern, timeoutMs) {
      return new Promise<string>((resolve, reject) => {
        const done = () => {
          clearTimeout(timer);
          watchers.delete(watch);
          child.off("exit", onExit);
          child.off("error", onError);
        };
        const watch = (line: string) => {
          if (!pattern.test(line)) return;
          done();
          resolve(line);
        };
        const onExit = (code: number | null, signal: string | null) => {
          done();
          reject(new StackError("child_exited", `${o.name} exited (${signal ?? code}) before it was ready:\n${output.trim()}`));
        };
        const onError = (err: Error) => {
          done();
          reject(new StackError("child_exited", `${o.name} could not start: ${err.message}`));
        };
        const timer = setTimeout(() => {
          done();
          reject(new StackError("start_timeout", `${o.name} not ready within ${timeoutMs} ms:\n${output.trim()}`));
        }, timeoutMs);
        watchers.add(watch);
        child.once("exit", onExit);
        child.once("error", onError);
        if (hasExited()) onExit(child.exitCode, child.signalCode);
      });
    },
    async stop(graceMs = 15_000) {
      if (hasExited()) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await gone;
      clearTimeout(timer);
    },
  };
}
