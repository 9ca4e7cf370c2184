// Source → eBPF relocatable object, with the toolchain from setup.ts:
//   Rust: rustc 1.63 (bpfel-unknown-none, fat LTO) → one LLVM bitcode module → llvm-link-19 -S
//         → ir-rewrite (memory intrinsics → syscalls, cpu v2) → llc-19 → object
//   C:    clang-19 -target bpf -mcpu=v2 → object
// The objects then go through our linker (linker/index.ts) to become a loadable .so.
import fs from "node:fs";
import path from "node:path";

import { run } from "./exec";
import { rewriteIr, type RewriteStats } from "./ir-rewrite";
import { BPF_TARGET, llvm } from "./paths";
import type { Toolchain } from "./setup";

/** Solana frames are 4 KiB; llc fails the build when a function needs more. */
export const STACK_SIZE = 4096;

export const LLC_FLAGS = ["-march=bpfel", "-mcpu=v2", `-bpf-stack-size=${STACK_SIZE}`, "-O2", "-filetype=obj"];

export interface RustCrate {
  /** Path of the crate root (lib.rs). */
  src: string;
  crateName: string;
  /** Directory for the intermediate files (bitcode, IR, object). */
  workDir: string;
  overflowChecks?: boolean;
}

export function rustFlags(crate: Pick<RustCrate, "crateName" | "overflowChecks">, sysroot: string): string[] {
  return [
    "--crate-name", crate.crateName,
    "--crate-type", "staticlib",
    "--edition", "2021",
    "--target", BPF_TARGET,
    "--sysroot", sysroot,
    "-C", "opt-level=3",
    "-C", "panic=abort",
    "-C", `overflow-checks=${crate.overflowChecks === false ? "off" : "on"}`,
    "-C", "lto=fat",
    "-C", "codegen-units=1",
    "-C", "target-cpu=v2",
    "-C", "debuginfo=0",
  ];
}

export interface RustObject {
  object: string;
  /** Warnings rustc printed (empty when none). */
  warnings: string;
  rewrite: RewriteStats;
  seconds: { rustc: number; llvmLink: number; llc: number };
}

function timed<T>(fn: () => T): [T, number] {
  const started = Date.now();
  const result = fn();
  return [result, (Date.now() - started) / 1000];
}

/** Compiles a Rust crate for BPF into `workDir/<crate>.o`; compiler errors are thrown verbatim. */
export function compileRust(toolchain: Toolchain, crate: RustCrate): RustObject {
  fs.mkdirSync(crate.workDir, { recursive: true });
  const base = path.join(crate.workDir, crate.crateName);
  const [rustc, rustcSeconds] = timed(() =>
    run("SBF_BUILD_RUSTC", toolchain.rustc, [...rustFlags(crate, toolchain.sysroot), "--emit=llvm-bc", "-o", `${base}.bc`, crate.src], {
      env: toolchain.rustEnv,
      timeoutMs: 10 * 60_000,
    }),
  );
  // With fat LTO rustc writes one module holding the crate and the parts of core/alloc it uses;
  // llvm-link-19 upgrades LLVM 14 bitcode to LLVM 19 and prints it as text for the rewrite.
  const [, linkSeconds] = timed(() => run("SBF_BUILD_LLVM_LINK", llvm.llvmLink, ["-S", `${base}.bc`, "-o", `${base}.ll`]));
  const rewritten = rewriteIr(fs.readFileSync(`${base}.ll`, "utf8"));
  fs.writeFileSync(`${base}.sbf.ll`, rewritten.ir);
  const [, llcSeconds] = timed(() => run("SBF_BUILD_LLC", llvm.llc, [...LLC_FLAGS, `${base}.sbf.ll`, "-o", `${base}.o`]));
  return {
    object: `${base}.o`,
    warnings: rustc.stderr.trim(),
    rewrite: rewritten.stats,
    seconds: { rustc: rustcSeconds, llvmLink: linkSeconds, llc: llcSeconds },
  };
}

export const CLANG_FLAGS = ["-target", "bpf", "-mcpu=v2", "-O2", "-ffreestanding", "-fno-builtin", "-mllvm", `-bpf-stack-size=${STACK_SIZE}`];

/** Compiles one C file for BPF into `object`. */
export function compileC(src: string, object: string, extraFlags: string[] = []): string {
  fs.mkdirSync(path.dirname(object), { recursive: true });
  run("SBF_BUILD_CLANG", llvm.clang, [...CLANG_FLAGS, ...extraFlags, "-c", src, "-o", object]);
  return object;
}
