// Child processes of the stack. Each writes its stdout and stderr straight into a log file (not a pipe to
// this process), so a child never fails on a broken pipe when this process is gone, and the log stays for
// reading after a failure. The file is followed (polled) for readiness lines, the verbose echo and the last
// lines quoted in error messages. A child is stopped with SIGTERM, then SIGKILL after a grace period.
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { StackError } from "./errors";

/** Characters of a child's output kept in memory for error messages. */
const OUTPUT_KEPT = 16_000;
/** How often the log file is read for new lines, ms. */
const FOLLOW_MS = 100;

export interface ChildOptions {
  /** Name used in messages ("simnet", "app"…). */
  name: string;
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Where stdout and stderr go (truncated at start). */
  logFile: string;
  /** Each line the child prints, as it comes. */
  onLine?: (line: string) => void;
}

export interface Child {
  readonly name: string;
  readonly process: ChildProcess;
  readonly logFile: string;
  /** The last lines the child printed. */
  output(): string;
  /** Resolves with the first line matching `pattern`; rejects if the child exits first or on timeout. */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<string>;
  exited(): boolean;
  /** Resolves when the child has exited and its last lines were read. */
  whenExited(): Promise<void>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the child is gone. */
  stop(graceMs?: number): Promise<void>;
}

export function startChild(o: ChildOptions): Child {
  fs.mkdirSync(path.dirname(o.logFile), { recursive: true });
  const fd = fs.openSync(o.logFile, "w");
  let child: ChildProcess;
  try {
    child = spawn(o.command, o.args, { cwd: o.cwd, env: o.env, stdio: ["ignore", fd, fd] });
  } finally {
    fs.closeSync(fd); // the child holds its own copy
  }

  let output = "";
  let offset = 0;
  let partial = "";
  const watchers = new Set<(line: string) => void>();
  const readNew = () => {
    let size: number;
    try {
      size = fs.statSync(o.logFile).size;
    } catch {
      return; // the file went away (a temporary directory removed): nothing more to read
    }
    if (size <= offset) return;
    const buf = Buffer.alloc(size - offset);
    const rfd = fs.openSync(o.logFile, "r");
    try {
      fs.readSync(rfd, buf, 0, buf.length, offset);
    } finally {
      fs.closeSync(rfd);
    }
    offset = size;
    const lines = (partial + buf.toString("utf8")).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) {
      output = (output + line + "\n").slice(-OUTPUT_KEPT);
      o.onLine?.(line);
      for (const w of watchers) w(line);
    }
  };
  const timer = setInterval(readNew, FOLLOW_MS);
  timer.unref();
  const gone = new Promise<void>((resolve) => {
    const finish = () => {
      clearInterval(timer);
      readNew();
      if (partial) {
        const last = partial;
        partial = "";
        output = (output + last + "\n").slice(-OUTPUT_KEPT);
        o.onLine?.(last);
        for (const w of watchers) w(last);
      }
      resolve();
    };
    child.once("exit", finish);
    child.once("error", finish);
  });
  const hasExited = () => child.exitCode !== null || child.signalCode !== null;

  return {
    name: o.name,
    process: child,
    logFile: o.logFile,
    output: () => output,
    exited: hasExited,
    whenExited: () => gone,
    waitForLine(pattern, timeoutMs) {
      return new Promise<string>((resolve, reject) => {
        let settled = false;
        const done = () => {
          settled = true;
          clearTimeout(deadline);
          watchers.delete(watch);
        };
        const watch = (line: string) => {
          if (settled || !pattern.test(line)) return;
          done();
          resolve(line);
        };
        const deadline = setTimeout(() => {
          if (settled) return;
          done();
          reject(new StackError("start_timeout", `${o.name} not ready within ${timeoutMs} ms (log ${o.logFile}):\n${output.trim()}`));
        }, timeoutMs);
        watchers.add(watch);
        void gone.then(() => {
          if (settled) return;
          done();
          const how = child.signalCode ?? child.exitCode ?? "could not start";
          reject(new StackError("child_exited", `${o.name} exited (${how}) before it was ready (log ${o.logFile}):\n${output.trim()}`));
        });
      });
    },
    async stop(graceMs = 15_000) {
      if (hasExited()) return gone;
      child.kill("SIGTERM");
      const kill = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await gone;
      clearTimeout(kill);
    },
  };
}
