#!/usr/bin/env node
// Entry point of `npm start` and `npm test` on a machine that may be fresh. Plain CommonJS with no
// dependencies, because it runs before `npm ci` has installed anything. It makes node_modules match
// package-lock.json, then hands over to the TypeScript orchestrator (scripts/start.ts or scripts/test.ts),
// which bootstraps the rest (Debian packages, the SBF toolchain cache, the program build).
"use strict";
const { spawn, spawnSync } = require("node:child_process");
const { createHash } = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");

const root = path.resolve(__dirname, "..");
const stampFile = path.join(root, "node_modules", ".bootstrap-lock-sha256");

function run(cmd, args) {
  const result = spawnSync(cmd, args, { cwd: root, stdio: "inherit", env: process.env });
  if (result.error) throw result.error;
  if (result.status !== 0) process.exit(result.status === null ? 1 : result.status);
}

function lockHash() {
  return createHash("sha256").update(fs.readFileSync(path.join(root, "package-lock.json"))).digest("hex");
}

function ensureNodeModules() {
  const want = lockHash();
  const have = fs.existsSync(stampFile) ? fs.readFileSync(stampFile, "utf8").trim() : "";
  if (have === want) return;
  // `npm install` follows package-lock.json exactly like `npm ci` but tolerates the optional
  // platform packages (other operating systems' native builds) that this registry does not serve and the
  // lock therefore lacks; `npm ci` refuses such a lock. It also updates an existing node_modules in place.
  console.log("[bootstrap] installing npm packages (node_modules missing or package-lock.json changed)");
  run("npm", ["install", "--no-audit", "--no-fund"]);
  // Packages patched with patch-package (see patches/) are patched by the postinstall script.
  fs.writeFileSync(stampFile, want + "\n");
}

const command = process.argv[2];
const scripts = { start: "scripts/start.ts", test: "scripts/test.ts" };
if (!scripts[command]) {
  console.error(`usage: bootstrap.cjs <${Object.keys(scripts).join("|")}> [args]`);
  process.exit(2);
}
ensureNodeModules();
// The orchestrator runs asynchronously so SIGINT/SIGTERM sent to this process reach it (npm start stops
// its children on them) instead of killing this process and leaving it behind.
const orchestrator = spawn(process.execPath, [path.join(root, "node_modules", "tsx", "dist", "cli.mjs"), scripts[command], ...process.argv.slice(3)], {
  cwd: root,
  stdio: "inherit",
  env: process.env,
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => orchestrator.kill(signal));
// npm runs this under `sh -c`, which does not pass signals on: when npm goes away (killed, or stopped by a
// signal sent to it alone), this process is re-parented, and the orchestrator is told to stop.
const parent = process.ppid;
let orphaned = false;
setInterval(() => {
  if (orphaned || process.ppid === parent) return;
  orphaned = true;
  orchestrator.kill("SIGTERM");
}, 500).unref();
orchestrator.on("exit", (code, signal) => process.exit(code === null ? (signal === "SIGINT" ? 130 : 1) : code));
