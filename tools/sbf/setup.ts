// Bootstraps the offline SBF toolchain (idempotent; a warm run only checks stamps):
//   1. Debian's clang-19/llvm-19 (and libllvm14, which Debian's rustc 1.63 links against), installed
//      with apt-get only when missing;
//   2. Debian bookworm's rustc 1.63, rust-src, libstd-rust and cargo, fetched with `apt-get download`
//      and unpacked with `dpkg -x` into `.cache/sbf/rust` (never installed system-wide);
//   3. a sysroot for `bpfel-unknown-none` holding core, alloc and an empty compiler_builtins, built
//      once from rust-src and re-built only when the compiler or the flags change.
// Run directly (`npx tsx tools/sbf/setup.ts`) or through `ensureToolchain()` from the build and tests.
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

import { canRun, run, ToolError } from "./exec";
import { withLock } from "./lock";
import {
  BPF_TARGET,
  binDir,
  bpfLibDir,
  cacheDir,
  cargoWrapper,
  debsDir,
  llvm,
  rustcWrapper,
  rustRoot,
  sysrootDir,
} from "./paths";

/** Debian bookworm versions this toolchain was measured with; newer point releases are accepted. */
export const RUST_DEBS: Record<string, string> = {
  rustc: "1.63.0+dfsg1-2",
  "rust-src": "1.63.0+dfsg1-2",
  "libstd-rust-1.63": "1.63.0+dfsg1-2",
  "libstd-rust-dev": "1.63.0+dfsg1-2",
  cargo: "0.66.0+ds1-1",
};

/** Flags for the sysroot crates; part of the sysroot stamp, so changing them rebuilds it. */
export const SYSROOT_RUSTFLAGS = [
  "-C", "opt-level=3",
  "-C", "panic=abort",
  "-C", "target-cpu=v2",
  "-C", "debuginfo=0",
  "-Z", "force-unstable-if-unmarked",
];

// `compiler_builtins` is only a dependency marker here: the BPF backend has no libcalls to provide,
// and code needing them (u128 multiply, floats) must fail at compile time rather than link time.
const COMPILER_BUILTINS_SRC = [
  "#![no_std]",
  "#![feature(compiler_builtins)]",
  "#![compiler_builtins]",
  "#![no_builtins]",
  "",
].join("\n");

const APT_ENV = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
// Wait for another apt/dpkg process (a colleague installing a package) instead of failing at once.
const APT_LOCK_WAIT = ["-o", "DPkg::Lock::Timeout=600"];

export interface Toolchain {
  /** Wrapper script running Debian's rustc 1.63 with its libraries on LD_LIBRARY_PATH. */
  rustc: string;
  /** Sysroot to pass as `--sysroot` for `--target bpfel-unknown-none`. */
  sysroot: string;
  /** Environment for running the unpacked rustc directly (LD_LIBRARY_PATH). */
  rustEnv: NodeJS.ProcessEnv;
  /** Version line of the rustc in use, e.g. "rustc 1.63.0". */
  rustcVersion: string;
}

type Log = (line: string) => void;

let multiarchTriple: string | undefined;

/** Debian's multiarch directory name for this machine, e.g. x86_64-linux-gnu. */
function multiarch(): string {
  if (multiarchTriple) return multiarchTriple;
  const arch = run("SBF_SETUP_DPKG", "dpkg", ["--print-architecture"]).stdout.trim();
  const triples: Record<string, string> = { amd64: "x86_64-linux-gnu", arm64: "aarch64-linux-gnu" };
  const triple = triples[arch];
  if (!triple) throw new ToolError("SBF_SETUP_ARCH", `unsupported Debian architecture ${arch}`);
  multiarchTriple = triple;
  return triple;
}

/** Directory of the unpacked librustc_driver/libstd shared objects. */
export function rustLibDir(): string {
  return path.join(rustRoot, "usr", "lib", multiarch());
}

export function rustEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const libDir = rustLibDir();
  const current = process.env.LD_LIBRARY_PATH;
  return { ...process.env, LD_LIBRARY_PATH: current ? `${libDir}:${current}` : libDir, ...extra };
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

function readStamp(file: string): string | undefined {
  try {
    return fs.readFileSync(file, "utf8").trim();
  } catch {
    return undefined;
  }
}

function writeIfChanged(file: string, content: string, mode?: number): void {
  if (readStamp(file) === content.trim() && fs.existsSync(file)) return;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content, mode === undefined ? undefined : { mode });
}

function timed<T>(log: Log, what: string, fn: () => T): T {
  const started = Date.now();
  log(`${what}…`);
  const result = fn();
  log(`${what}: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return result;
}

function requireRoot(what: string): void {
  if (typeof process.getuid === "function" && process.getuid() !== 0) {
    throw new ToolError("SBF_SETUP_NOT_ROOT", `${what} needs root (apt-get); run it as root or install it by hand`);
  }
}

class Apt {
  private updated = false;
  constructor(private readonly log: Log) {}

  update(): void {
    if (this.updated) return;
    requireRoot("apt-get update");
    timed(this.log, "apt-get update", () =>
      run("SBF_SETUP_APT_UPDATE", "apt-get", ["update", "-qq", ...APT_LOCK_WAIT], { env: APT_ENV, timeoutMs: 5 * 60_000 }),
    );
    this.updated = true;
  }

  install(packages: string[]): void {
    requireRoot(`installing ${packages.join(" ")}`);
    this.update();
    timed(this.log, `apt-get install ${packages.join(" ")}`, () =>
      run(
        "SBF_SETUP_APT_INSTALL",
        "apt-get",
        ["install", "-y", "-qq", "--no-install-recommends", ...APT_LOCK_WAIT, ...packages],
        { env: APT_ENV, timeoutMs: 10 * 60_000 },
      ),
    );
  }

  /** `apt-get download` into `dir`: the pinned versions first, then whatever the archive has. */
  download(dir: string, pinned: Record<string, string>): void {
    fs.mkdirSync(dir, { recursive: true });
    const exact = Object.entries(pinned).map(([name, version]) => `${name}=${version}`);
    const attempt = (specs: string[]) =>
      run("SBF_SETUP_APT_DOWNLOAD", "apt-get", ["download", "-qq", ...specs], { cwd: dir, env: APT_ENV, timeoutMs: 5 * 60_000 });
    try {
      attempt(exact);
      return;
    } catch (first) {
      if (this.updated) throw first;
    }
    // The package lists may be missing (fresh machine) or older than the archive.
    this.update();
    try {
      attempt(exact);
    } catch {
      this.log(`pinned versions not in the archive (${exact.join(", ")}); downloading the current ones`);
      attempt(Object.keys(pinned));
    }
  }
}

function ensureDebianCompilers(apt: Apt, log: Log): void {
  const missing: string[] = [];
  if (!fs.existsSync(llvm.clang)) missing.push("clang-19");
  if ([llvm.llc, llvm.llvmLink, llvm.llvmDis, llvm.llvmAs].some((tool) => !fs.existsSync(tool))) missing.push("llvm-19");
  // Debian's librustc_driver links against libLLVM-14.so.1, a shared-library-only package.
  const libllvm14 = path.join("/usr/lib", multiarch(), "libLLVM-14.so.1");
  if (!fs.existsSync(libllvm14)) missing.push("libllvm14");
  if (missing.length === 0) {
    log(`Debian compilers present (clang-19, llvm-19, libllvm14)`);
    return;
  }
  apt.install(missing);
}

/** The .deb files in `debsDir` for the wanted packages, or undefined if any is missing. */
function cachedDebs(): string[] | undefined {
  if (!fs.existsSync(debsDir)) return undefined;
  const files = fs.readdirSync(debsDir).filter((f) => f.endsWith(".deb"));
  const chosen: string[] = [];
  for (const name of Object.keys(RUST_DEBS)) {
    const matches = files.filter((f) => f.startsWith(`${name}_`)).sort();
    if (matches.length === 0) return undefined;
    chosen.push(matches[matches.length - 1]);
  }
  return chosen;
}

function ensureRustUnpacked(apt: Apt, log: Log): void {
  const stampFile = path.join(rustRoot, ".stamp");
  let debs = cachedDebs();
  if (debs && readStamp(stampFile) === debs.join("\n") && fs.existsSync(path.join(rustRoot, "usr", "bin", "rustc"))) {
    log(`Debian rustc unpacked (${debs.find((d) => d.startsWith("rustc_"))})`);
    return;
  }
  if (!debs) {
    timed(log, `apt-get download ${Object.keys(RUST_DEBS).join(" ")}`, () => apt.download(debsDir, RUST_DEBS));
    debs = cachedDebs();
    if (!debs) throw new ToolError("SBF_SETUP_DOWNLOAD", `apt-get download did not produce every package in ${debsDir}`);
  }
  const unpacked = debs;
  timed(log, `dpkg -x ${unpacked.length} packages into ${path.relative(process.cwd(), rustRoot) || rustRoot}`, () => {
    const tmp = `${rustRoot}.tmp`;
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.mkdirSync(tmp, { recursive: true });
    for (const deb of unpacked) run("SBF_SETUP_DPKG_X", "dpkg", ["-x", path.join(debsDir, deb), tmp]);
    fs.rmSync(rustRoot, { recursive: true, force: true });
    fs.renameSync(tmp, rustRoot);
    fs.writeFileSync(stampFile, unpacked.join("\n") + "\n");
  });
}

function writeWrappers(): void {
  const libDir = rustLibDir();
  const header = "#!/bin/sh\n# Written by tools/sbf/setup.ts: Debian's rustc 1.63 unpacked in this cache.\n";
  const ld = `LD_LIBRARY_PATH="${libDir}\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"`;
  writeIfChanged(rustcWrapper, `${header}${ld} exec "${path.join(rustRoot, "usr", "bin", "rustc")}" "$@"\n`, 0o755);
  writeIfChanged(
    cargoWrapper,
    `${header}RUSTC="${rustcWrapper}" ${ld} exec "${path.join(rustRoot, "usr", "bin", "cargo")}" "$@"\n`,
    0o755,
  );
}

function rustcVersion(): string {
  return run("SBF_SETUP_RUSTC", rustcWrapper, ["--version"]).stdout.trim();
}

function sysrootKey(): string {
  return sha256(
    JSON.stringify({
      rust: readStamp(path.join(rustRoot, ".stamp")),
      rustc: rustcVersion(),
      flags: SYSROOT_RUSTFLAGS,
      compilerBuiltins: COMPILER_BUILTINS_SRC,
      target: BPF_TARGET,
    }),
  );
}

function ensureSysroot(log: Log): void {
  const stampFile = path.join(sysrootDir, ".stamp");
  const key = sysrootKey();
  if (readStamp(stampFile) === key && ["core", "alloc", "compiler_builtins"].every((c) => fs.existsSync(path.join(bpfLibDir, `lib${c}.rlib`)))) {
    log(`sysroot for ${BPF_TARGET} up to date`);
    return;
  }
  const library = path.join(rustRoot, "usr", "lib", "rustlib", "src", "rust", "library");
  const tmpRoot = `${sysrootDir}.tmp`;
  const tmpLib = path.join(tmpRoot, "lib", "rustlib", BPF_TARGET, "lib");
  fs.rmSync(tmpRoot, { recursive: true, force: true });
  fs.mkdirSync(tmpLib, { recursive: true });
  const builtinsSrc = path.join(tmpRoot, "compiler_builtins.rs");
  fs.writeFileSync(builtinsSrc, COMPILER_BUILTINS_SRC);
  // RUSTC_BOOTSTRAP lets the stable 1.63 compiler build the standard library's unstable code.
  const env = rustEnv({ RUSTC_BOOTSTRAP: "1" });
  const crate = (name: string, edition: string, src: string) =>
    timed(log, `rustc ${name} for ${BPF_TARGET}`, () =>
      run(
        "SBF_SETUP_SYSROOT",
        rustcWrapper,
        [
          "--crate-name", name, "--crate-type", "rlib", "--edition", edition,
          "--target", BPF_TARGET, "--sysroot", tmpRoot, ...SYSROOT_RUSTFLAGS,
          "--out-dir", tmpLib, src,
        ],
        { env, timeoutMs: 10 * 60_000 },
      ),
    );
  // Order matters: compiler_builtins depends on core, alloc on both.
  crate("core", "2021", path.join(library, "core", "src", "lib.rs"));
  crate("compiler_builtins", "2018", builtinsSrc);
  crate("alloc", "2021", path.join(library, "alloc", "src", "lib.rs"));
  fs.rmSync(builtinsSrc);
  fs.writeFileSync(path.join(tmpRoot, ".stamp"), key + "\n");
  fs.rmSync(sysrootDir, { recursive: true, force: true });
  fs.renameSync(tmpRoot, sysrootDir);
}

/** Makes every part of the toolchain present and current; cheap when it already is. */
export function ensureToolchain(options: { quiet?: boolean } = {}): Toolchain {
  const log: Log = options.quiet ? () => undefined : (line) => console.log(`[sbf setup] ${line}`);
  return withLock(path.join(cacheDir, ".setup.lock"), () => {
    const apt = new Apt(log);
    ensureDebianCompilers(apt, log);
    ensureRustUnpacked(apt, log);
    writeWrappers();
    ensureSysroot(log);
    return { rustc: rustcWrapper, sysroot: sysrootDir, rustEnv: rustEnv(), rustcVersion: rustcVersion() };
  });
}

/**
 * Debian's cargo needs shared libraries (libgit2, libssh2, libcurl) that a minimal machine lacks, and
 * a C compiler to link host test binaries; only the `cargo test` fallback needs them, so they are
 * installed on demand rather than by `ensureToolchain`.
 */
export function ensureDebianCargo(options: { quiet?: boolean } = {}): string {
  const log: Log = options.quiet ? () => undefined : (line) => console.log(`[sbf setup] ${line}`);
  ensureToolchain(options);
  return withLock(path.join(cacheDir, ".setup.lock"), () => {
    const works = () => canRun(cargoWrapper, ["--version"]) && canRun("cc", ["--version"]);
    if (!works()) {
      new Apt(log).install(["libgit2-1.5", "libssh2-1", "libcurl3-gnutls", "gcc", "libc6-dev"]);
      if (!works()) throw new ToolError("SBF_SETUP_CARGO", `Debian cargo at ${cargoWrapper} does not start`);
    }
    return cargoWrapper;
  });
}

if (require.main === module) {
  const started = Date.now();
  try {
    const toolchain = ensureToolchain();
    console.log(`[sbf setup] ${toolchain.rustcVersion} at ${toolchain.rustc}`);
    console.log(`[sbf setup] sysroot ${toolchain.sysroot} (${path.relative(toolchain.sysroot, bpfLibDir)})`);
    console.log(`[sbf setup] wrappers in ${binDir}; ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  }
}
