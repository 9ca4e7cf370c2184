import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";

import { buildRustProgram, type ProgramSpec } from "../build";
import { ToolError } from "../exec";
import { ensureToolchain, type Toolchain } from "../setup";
import { fixtures, scratchDir } from "./helpers";
import { ProgramRunner } from "./svm";

describe("program build with a content-hash stamp", function () {
  this.timeout(10 * 60_000);
  let dir: string;
  let spec: ProgramSpec;
  let toolchain: Toolchain;
  const lines: string[] = [];
  const log = (line: string) => lines.push(line);

  before(function () {
    toolchain = ensureToolchain({ quiet: true });
    dir = scratchDir("build");
    fs.mkdirSync(path.join(dir, "crate", "src"), { recursive: true });
    fs.copyFileSync(path.join(fixtures, "hello.rs"), path.join(dir, "crate", "src", "lib.rs"));
    spec = {
      crateName: "hello",
      crateDir: path.join(dir, "crate"),
      src: path.join(dir, "crate", "src", "lib.rs"),
      output: path.join(dir, "deploy", "hello.so"),
      workDir: path.join(dir, "work"),
    };
  });

  after(function () {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("compiles and links the crate into a .so that loads and runs", function () {
    const result = buildRustProgram(spec, log, toolchain);
    assert.equal(result.skipped, false);
    assert.ok(result.report && result.report.syscalls.includes("sol_log_"));
    const outcome = new ProgramRunner(fs.readFileSync(spec.output)).run(Buffer.from([0xee, 3]));
    assert.equal(outcome.customError, 3);
    assert.ok(lines.some((l) => /memory intrinsics → syscalls: memcpy [1-9]/.test(l)), lines.join("\n"));
  });

  it("skips the build when sources, flags, toolchain and linker are unchanged", function () {
    const before = fs.statSync(spec.output).mtimeMs;
    const result = buildRustProgram(spec, log, toolchain);
    assert.equal(result.skipped, true);
    assert.equal(fs.statSync(spec.output).mtimeMs, before);
  });

  it("rebuilds after any .rs file under src/ changes", function () {
    fs.writeFileSync(path.join(spec.crateDir, "src", "notes.rs"), "// not even a module of the crate\n");
    assert.equal(buildRustProgram(spec, log, toolchain).skipped, false);
    assert.equal(buildRustProgram(spec, log, toolchain).skipped, true);
  });

  it("rebuilds when the output was altered or deleted", function () {
    fs.appendFileSync(spec.output, Buffer.from([0]));
    assert.equal(buildRustProgram(spec, log, toolchain).skipped, false);
    fs.rmSync(spec.output);
    assert.equal(buildRustProgram(spec, log, toolchain).skipped, false);
    assert.ok(fs.existsSync(spec.output));
  });

  it("fails with the compiler's message and keeps the last good output current", function () {
    const good = fs.readFileSync(spec.src, "utf8");
    fs.writeFileSync(spec.src, good.replace("fn checksum(bytes: &[u8]) -> u64 {", "fn checksum(bytes: &[u8]) -> u64 { let unused: u64 = \"text\";"));
    assert.throws(
      () => buildRustProgram(spec, log, toolchain),
      (err: unknown) => err instanceof ToolError && err.code === "SBF_BUILD_RUSTC" && /mismatched types/.test(err.message) && /lib\.rs:\d+/.test(err.message),
    );
    fs.writeFileSync(spec.src, good);
    assert.equal(buildRustProgram(spec, log, toolchain).skipped, true);
    assert.equal(new ProgramRunner(fs.readFileSync(spec.output)).run(Buffer.from([0xee, 4])).customError, 4);
  });
});
