// `npm run test:rust`: the program crate's Rust unit tests (`cargo test`) on the host. Uses the cargo
// on PATH (or ~/.cargo/bin/cargo); without one, Debian's cargo 0.66 + rustc 1.63 from the toolchain
// cache, which builds a path-only workspace offline. SBF_CARGO=debian forces the Debian pair.
//
// Debian's cargo cannot read the version-4 Cargo.lock a current cargo writes, so it runs in a mirror
// of the workspace under the cache (the root Cargo.toml copied, `programs/` symlinked), with its own
// lock file and target directory; the workspace itself is left as the host cargo wants it.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { canRun } from "./exec";
import { cacheDir, repoRoot } from "./paths";
import { ensureDebianCargo } from "./setup";

const crateDir = path.join(repoRoot, "programs", "prepaid_billing");

interface CargoChoice {
  cargo: string;
  label: string;
  /** Directory holding the workspace's Cargo.toml to run in. */
  workspace: string;
}

/** A workspace for Debian's cargo: the root manifest copied, the crates reached through a symlink. */
function mirrorWorkspace(): string {
  const mirror = path.join(cacheDir, "cargo-workspace");
  fs.mkdirSync(mirror, { recursive: true });
  fs.copyFileSync(path.join(repoRoot, "Cargo.toml"), path.join(mirror, "Cargo.toml"));
  const link = path.join(mirror, "programs");
  const target = path.join(repoRoot, "programs");
  if (!fs.existsSync(link) || fs.readlinkSync(link) !== target) {
    fs.rmSync(link, { force: true });
    fs.symlinkSync(target, link);
  }
  return mirror;
}

/** The cargo to use, where to run it, and a label for the log. */
export function chooseCargo(): CargoChoice {
  if (process.env.SBF_CARGO !== "debian") {
    if (canRun("cargo")) return { cargo: "cargo", label: "cargo on PATH", workspace: repoRoot };
    const home = path.join(os.homedir(), ".cargo", "bin", "cargo");
    if (fs.existsSync(home) && canRun(home)) return { cargo: home, label: home, workspace: repoRoot };
  }
  return {
    cargo: ensureDebianCargo(),
    label: "Debian cargo 0.66 with rustc 1.63, toolchain cache",
    workspace: mirrorWorkspace(),
  };
}

function main(): number {
  if (!fs.existsSync(path.join(crateDir, "Cargo.toml")) || !fs.existsSync(path.join(crateDir, "src", "lib.rs"))) {
    console.log("[test:rust] programs/prepaid_billing has no Cargo.toml and src/lib.rs yet: nothing to test");
    return 0;
  }
  const { cargo, label, workspace } = chooseCargo();
  const version = spawnSync(cargo, ["--version"], { encoding: "utf8" }).stdout.trim();
  console.log(`[test:rust] ${version} (${label})`);
  const args = ["test", "--offline", "--manifest-path", path.join(workspace, "Cargo.toml"), "-p", "prepaid_billing", ...process.argv.slice(2)];
  const result = spawnSync(cargo, args, { cwd: workspace, stdio: "inherit", timeout: 20 * 60_000 });
  if (result.error) {
    console.error(`[test:rust] ${cargo} could not run: ${result.error.message}`);
    return 1;
  }
  return result.status ?? 1;
}

if (require.main === module) process.exit(main());
