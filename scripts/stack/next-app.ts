// The Next.js app (dashboard + paid /api/v1 endpoints, with the gateway, settler and indexer in its
// process): built with `next build` only when its sources changed since the last build into the same
// directory, then served by `next start`. `next build` takes about 50 s on 2 busy cores and `next start`
// is up in a few seconds, against `next dev` compiling each route on its first request; a warm restart
// therefore skips the build (a hash of the sources is kept beside the build).
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { startChild, type Child } from "./children";
import { StackError } from "./errors";
import { HOST, waitForHttp } from "./net";
import { REPO_ROOT } from "./paths";

const NEXT_BIN = path.join(REPO_ROOT, "node_modules", "next", "dist", "bin", "next");

/** What the app's build depends on: its own folders, what it imports, and the build configuration. */
const SOURCE_DIRS = ["app", "components", "lib", "gateway", "sdk", "ledger", "convex", "public"];
const SOURCE_FILES = ["next.config.ts", "instrumentation.ts", "tsconfig.json", "tsconfig.app.json", "package-lock.json"];
/** Test files are left out (the app never imports them); helpers in test folders stay in, in case it does. */
const SKIPPED = /(^|\/)(node_modules|\.next)(\/|$)|\.test\.tsx?$/;

/** The app's name in messages. */
export const APP_NAME = "app (next start)";

/** Name of the file in the build directory holding the source hash it was built from. */
const STAMP = "SOURCE_HASH";

function walk(dir: string, out: string[]): void {
  if (!fs.existsSync(dir)) return;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    const rel = path.relative(REPO_ROOT, full);
    if (SKIPPED.test(rel)) continue;
    if (entry.isDirectory()) walk(full, out);
    else if (entry.isFile()) out.push(rel);
  }
}

/** sha256 over the paths and contents of every file the build depends on. */
export function appSourceHash(): string {
  const files: string[] = [];
  for (const d of SOURCE_DIRS) walk(path.join(REPO_ROOT, d), files);
  for (const f of SOURCE_FILES) if (fs.existsSync(path.join(REPO_ROOT, f))) files.push(f);
  files.sort();
  const hash = createHash("sha256");
  for (const f of files) {
    hash.update(f + "\0");
    hash.update(fs.readFileSync(path.join(REPO_ROOT, f)));
    hash.update("\0");
  }
  return hash.digest("hex");
}

export interface BuildResult {
  /** False when the existing build was up to date. */
  built: boolean;
  seconds: number;
}

/** `next build` into `distDir` (relative to the repository) unless the build there matches the sources. */
export async function ensureAppBuild(
  distDir: string,
  logFile: string,
  log: (line: string) => void,
  force = false,
  signal?: AbortSignal,
): Promise<BuildResult> {
  const started = Date.now();
  const stampFile = path.join(REPO_ROOT, distDir, STAMP);
  const want = appSourceHash();
  const have = fs.existsSync(stampFile) ? fs.readFileSync(stampFile, "utf8").trim() : "";
  if (!force && have === want && fs.existsSync(path.join(REPO_ROOT, distDir, "BUILD_ID"))) {
    return { built: false, seconds: (Date.now() - started) / 1000 };
  }
  log(`building the app (next build into ${distDir}; ${force ? "a rebuild was asked for" : have ? "its sources changed since the last build" : "no build of these sources yet"})…`);
  const child = startChild({
    name: "next build",
    command: process.execPath,
    args: [NEXT_BIN, "build"],
    cwd: REPO_ROOT,
    env: { ...process.env, NODE_ENV: "production", NEXT_DIST_DIR: distDir, NEXT_TELEMETRY_DISABLED: "1" },
    logFile,
  });
  const stop = () => void child.stop(5_000);
  signal?.addEventListener("abort", stop);
  if (signal?.aborted) stop();
  await child.whenExited();
  signal?.removeEventListener("abort", stop);
  if (signal?.aborted) throw new StackError("child_exited", "next build stopped: the start was aborted");
  if (child.process.exitCode !== 0) {
    throw new StackError("build_failed", `next build failed (${child.process.signalCode ?? child.process.exitCode}; log ${logFile}):\n${child.output().trim().split("\n").slice(-40).join("\n")}`);
  }
  fs.writeFileSync(stampFile, want + "\n");
  const seconds = (Date.now() - started) / 1000;
  log(`app built in ${seconds.toFixed(1)} s`);
  return { built: true, seconds };
}

export interface AppOptions {
  distDir: string;
  port: number;
  env: Record<string, string>;
  logFile: string;
  onLine?: (line: string) => void;
  timeoutMs?: number;
}

/** `next start` on 127.0.0.1:`port`, resolved once it answers. */
export async function startApp(o: AppOptions): Promise<{ child: Child; url: string }> {
  const child = startChild({
    name: APP_NAME,
    command: process.execPath,
    args: [NEXT_BIN, "start", "-H", HOST, "-p", String(o.port)],
    cwd: REPO_ROOT,
    env: { ...process.env, NODE_ENV: "production", NEXT_DIST_DIR: o.distDir, NEXT_TELEMETRY_DISABLED: "1", ...o.env },
    logFile: o.logFile,
    onLine: o.onLine,
  });
  const url = `http://${HOST}:${o.port}`;
  try {
    await waitForHttp(`${url}/sign-in`, o.timeoutMs ?? 60_000, child);
  } catch (err) {
    await child.stop();
    throw err;
  }
  return { child, url };
}
