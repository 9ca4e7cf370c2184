// `npm start`: build the program, then play a team's billing story in the real Solana VM through the SDK
// (scripts/story/). Run through scripts/bootstrap.cjs, which has already made node_modules match the lock.
import path from "node:path";
import { npmRun, repoRoot, runSteps } from "./lib/steps";

runSteps([
  npmRun("build:program"), // installs Debian compilers and the toolchain cache on a fresh machine
  { name: "team story", command: process.execPath, args: [path.join(repoRoot, "node_modules", "tsx", "dist", "cli.mjs"), "scripts/story/main.ts"] },
]);
