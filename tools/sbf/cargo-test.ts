// `npm run test:rust`: the program crate's Rust unit tests (`cargo test`) on the host. Uses the cargo
// on PATH (or ~/.cargo/bin/cargo); without one, Debian's cargo 0.66 + rustc 1.63 from the toolchain
// cache, which builds a path-only workspace offline. SBF_CARGO=debian forces the Debian pair.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { canRun } from "./exec";
import { repoRoot } from "./paths";
import { ensureDebianCargo } from "./setup";

const crateDir = path.join(repoRoot, "programs", "prepaid_billing");

/** The cargo to use and a label for the log. */
export function chooseCargo(): { cargo: string; label: string } {
  if (process.env.SBF_CARGO !== "debian") {
    if (canRun("cargo")) return { cargo: "cargo", label: "cargo on PATH" };
    const home = path.join(os.homedir(), ".cargo", "bin", "cargo");
    if (fs.existsSync(home) && canRun(home)) return { cargo: home, label: home };
  }
  return { cargo: ensureDebianCargo(), label: "Debian cargo 0.66 with rustc 1.63 (toolchain cache)" };
}

function main(): number {
  if (!fs.existsSync(path.join(crateDir, "Cargo.toml")) || !fs.existsSync(path.join(crateDir, "src", "lib.rs"))) {
    console.log("[test:rust] programs/prepaid_billing has no Cargo.toml and src/lib.rs yet: nothing to test");
    return 0;
  }
  const { cargo, label } = chooseCargo();
  const version = spawnSync(cargo, ["--version"], { encoding: "utf8" }).stdout.trim();
  console.log(`[test:rust] ${version} (${label})`);
  const args = ["test", "--offline", "--manifest-path", path.join(repoRoot, "Cargo.toml"), "-p", "prepaid_billing", ...process.argv.slice(2)];
  const result = spawnSync(cargo, args, { cwd: repoRoot, stdio: "inherit", timeout: 20 * 60_000 });
  if (result.error) {
    console.error(`[test:rust] ${cargo} could not run: ${result.error.message}`);
    return 1;
  }
  return result.status ?? 1;
}

if (require.main === module) process.exit(main());
