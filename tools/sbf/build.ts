// `npm run build:program`: regenerates the interface files from the IDL source, then compiles
// programs/prepaid_billing into target/deploy/prepaid_billing.so with the offline toolchain
// (setup.ts → compile.ts → linker/). Skipped when sources, flags, toolchain and linker are unchanged
// (content-hash stamp), so a warm `npm test` does not recompile.
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

import { writeGenerated } from "../idl/generate";
import { compileRust, LLC_FLAGS, rustFlags } from "./compile";
import { INLINE_MAX_STORES } from "./ir-rewrite";
import { linkFile, type LinkReport } from "./linker";
import { buildDir, repoRoot, sysrootDir } from "./paths";
import { ensureToolchain, type Toolchain } from "./setup";

/** A program crate to build: its root source file and where the .so goes. */
export interface ProgramSpec {
  crateName: string;
  /** Crate directory; every `.rs` file under its `src/` is part of the build key. */
  crateDir: string;
  src: string;
  output: string;
  /** Directory for intermediate files and the stamp. */
  workDir: string;
}

export const PROGRAM: ProgramSpec = {
  crateName: "prepaid_billing",
  crateDir: path.join(repoRoot, "programs", "prepaid_billing"),
  src: path.join(repoRoot, "programs", "prepaid_billing", "src", "lib.rs"),
  output: path.join(repoRoot, "target", "deploy", "prepaid_billing.so"),
  workDir: path.join(buildDir, "prepaid_billing"),
};

function filesUnder(dir: string, keep: (file: string) => boolean): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(full, keep));
    else if (keep(full)) out.push(full);
  }
  return out.sort();
}

function hashFiles(hash: ReturnType<typeof createHash>, files: string[]): void {
  for (const file of files) {
    hash.update(path.relative(repoRoot, file)).update("\0").update(fs.readFileSync(file)).update("\0");
  }
}

/** Everything the output depends on: sources, flags, toolchain, and the build/linker code itself. */
export function buildKey(spec: ProgramSpec, rustcVersion: string): string {
  const hash = createHash("sha256");
  hashFiles(hash, filesUnder(path.join(spec.crateDir, "src"), (f) => f.endsWith(".rs")));
  hashFiles(hash, filesUnder(__dirname, (f) => f.endsWith(".ts") && !f.endsWith(".test.ts") && !f.includes(`${path.sep}test${path.sep}`)));
  hash.update(
    JSON.stringify({
      rustcVersion,
      sysroot: fs.readFileSync(path.join(sysrootDir, ".stamp"), "utf8"),
      rustFlags: rustFlags({ crateName: spec.crateName }, "<sysroot>"),
      llc: LLC_FLAGS,
      inlineMaxStores: INLINE_MAX_STORES,
    }),
  );
  return hash.digest("hex");
}

function sha256File(file: string): string {
  return createHash("sha256").update(fs.readFileSync(file)).digest("hex");
}

export interface BuildResult {
  output: string;
  skipped: boolean;
  report?: LinkReport;
}

type Log = (line: string) => void;

/** Compiles and links `spec` unless its stamp says the output is current. */
export function buildRustProgram(spec: ProgramSpec, log: Log, toolchain: Toolchain = ensureToolchain()): BuildResult {
  const key = buildKey(spec, toolchain.rustcVersion);
  const stampFile = path.join(spec.workDir, `${spec.crateName}.stamp`);
  const stamp = fs.existsSync(stampFile) ? fs.readFileSync(stampFile, "utf8").split("\n") : [];
  if (stamp[0] === key && fs.existsSync(spec.output) && stamp[1] === sha256File(spec.output)) {
    log(`${path.relative(repoRoot, spec.output)} is up to date`);
    return { output: spec.output, skipped: true };
  }
  const started = Date.now();
  const compiled = compileRust(toolchain, { src: spec.src, crateName: spec.crateName, workDir: spec.workDir });
  if (compiled.warnings) console.warn(compiled.warnings);
  const { rustc, llvmLink, llc } = compiled.seconds;
  log(`rustc ${rustc.toFixed(1)} s, llvm-link ${llvmLink.toFixed(1)} s, llc ${llc.toFixed(1)} s`);
  const r = compiled.rewrite.rewritten;
  log(`memory intrinsics → syscalls: memcpy ${r.memcpy}, memmove ${r.memmove}, memset ${r.memset} (kept inline: ${compiled.rewrite.keptInline})`);
  const report = linkFile(compiled.object, spec.output);
  fs.writeFileSync(stampFile, `${key}\n${sha256File(spec.output)}\n`);
  log(
    `${path.relative(repoRoot, spec.output)}: ${report.fileSize} bytes, ${report.instructions} instructions, ` +
      `rodata ${report.rodataSize} bytes, syscalls ${report.syscalls.join(" ")} (${((Date.now() - started) / 1000).toFixed(1)} s)`,
  );
  return { output: spec.output, skipped: false, report };
}

/** `npm run build:program`: generated interface files, then the program (when its crate exists). */
export function buildProgram(log: Log = (line) => console.log(`[build] ${line}`)): BuildResult | undefined {
  writeGenerated();
  log("generated IDL, TypeScript types and the Rust interface from the IDL source");
  if (!fs.existsSync(PROGRAM.src)) {
    log(`${path.relative(repoRoot, PROGRAM.src)} does not exist yet: nothing to compile`);
    return undefined;
  }
  return buildRustProgram(PROGRAM, log);
}

if (require.main === module) {
  try {
    buildProgram();
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    console.error(`build:program failed${typeof code === "string" ? ` [${code}]` : ""}:\n${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}
