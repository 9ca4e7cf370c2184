// Small programs compiled by the offline toolchain, linked by our linker, and run by litesvm's
// real SBPF loader and VM.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";

import { compileC, compileRust, type RustObject } from "../compile";
import { ToolError } from "../exec";
import { link } from "../linker";
import { ensureToolchain, type Toolchain } from "../setup";
import { assemble, fixtures, scratchDir } from "./helpers";
import { Chain, ProgramRunner } from "./svm";

function logged(logs: string[]): string[] {
  return logs.filter((l) => l.startsWith("Program log: ")).map((l) => l.slice("Program log: ".length));
}

function assertToolError(fn: () => unknown, code: string, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ToolError, String(err));
    assert.equal(err.code, code);
    assert.match(err.message, pattern);
    return true;
  });
}

describe("programs built by the offline toolchain", function () {
  this.timeout(10 * 60_000);
  let toolchain: Toolchain;
  let dir: string;

  before(function () {
    toolchain = ensureToolchain({ quiet: true });
    dir = scratchDir("programs");
  });

  after(function () {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe("in C (clang-19 -target bpf -mcpu=v2)", function () {
    const variants: [string, string[]][] = [
      ["default sections", []],
      ["one section per function", ["-ffunction-sections", "-fdata-sections"]],
      ["position-independent data (.data.rel.ro)", ["-fPIC"]],
    ];
    for (const [label, flags] of variants) {
      describe(label, function () {
        let runner: ProgramRunner;

        before(function () {
          const object = compileC(path.join(fixtures, "hello.c"), path.join(dir, `hello-${flags.join("") || "plain"}.o`), flags);
          runner = new ProgramRunner(link(fs.readFileSync(object)).so);
        });

        it("logs a string from .rodata and the message picked through a pointer table", function () {
          const outcome = runner.run(Buffer.from([1, 0, 5]));
          assert.equal(outcome.ok, true, outcome.error);
          assert.deepEqual(logged(outcome.logs).slice(0, 2), ["hello from C", "second message"]);
        });

        it("calls through a function-pointer table (callx) and makes internal calls", function () {
          // operations[1] = thrice: 7 * 3; then twice(7) and thrice(7).
          const outcome = runner.run(Buffer.from([0, 1, 7]));
          assert.equal(outcome.ok, true, outcome.error);
          assert.deepEqual(logged(outcome.logs), ["hello from C", "first message", "0x15, 0xe, 0x15, 0x0, 0x0"]);
          const viaTwice = runner.run(Buffer.from([0, 0, 7]));
          assert.equal(logged(viaTwice.logs)[2], "0xe, 0xe, 0x15, 0x0, 0x0");
        });

        it("returns a custom error code chosen by the instruction data", function () {
          const outcome = runner.run(Buffer.from([0, 0, 1, 0xee, 42]));
          assert.equal(outcome.ok, false);
          assert.equal(outcome.customError, 42);
          const short = runner.run(Buffer.from([0]));
          assert.equal(short.customError, 1);
        });
      });
    }

    it("deploys through BPFLoaderUpgradeable, whose checks are the strict ones, and runs", function () {
      const so = link(fs.readFileSync(compileC(path.join(fixtures, "hello.c"), path.join(dir, "deploy.o")))).so;
      const chain = new Chain();
      const deployed = chain.deployUpgradeable(so);
      assert.ok("programId" in deployed, "failed" in deployed ? deployed.failed.logs.join("\n") : "");
      const outcome = new ProgramRunner(chain, deployed.programId).run(Buffer.from([0, 1, 7, 0xee, 9]));
      assert.equal(outcome.customError, 9);
      assert.deepEqual(logged(outcome.logs)[0], "hello from C");
    });

    it("is refused by BPFLoaderUpgradeable when the ELF is damaged (the deploy check is real)", function () {
      const so = Buffer.from(link(fs.readFileSync(compileC(path.join(fixtures, "hello.c"), path.join(dir, "damaged.o")))).so);
      so.writeUInt16LE(2, 16); // e_type = ET_EXEC
      const deployed = new Chain().deployUpgradeable(so);
      assert.ok("failed" in deployed, "a damaged ELF was deployed");
      assert.match(deployed.failed.logs.join("\n"), /ELF error|Incompatible ELF|wrong type/i);
    });

    it("runs a program whose call target is addressed through a section symbol", function () {
      const object = assemble(
        dir,
        "section-call",
        [
          '\t.section .text.helpers,"ax",@progbits',
          "helper_a:",
          "\tr0 = 41",
          "\texit",
          "helper_b:",
          "\tr0 = 42",
          "\texit",
          "\t.text",
          "\t.globl entrypoint",
          "\t.type entrypoint,@function",
          "entrypoint:",
          "\tcall helper_b",
          "\texit",
          "",
        ].join("\n"),
      );
      const outcome = new ProgramRunner(link(object).so).run();
      assert.equal(outcome.customError, 42);
    });
  });

  describe("in Rust (rustc 1.63 no_std, fat LTO, llc-19)", function () {
    let compiled: RustObject;
    let runner: ProgramRunner;

    before(function () {
      compiled = compileRust(toolchain, { src: path.join(fixtures, "hello.rs"), crateName: "hello", workDir: dir });
      runner = new ProgramRunner(link(fs.readFileSync(compiled.object)).so);
    });

    it("compiles without warnings and pins every function to cpu v2", function () {
      assert.equal(compiled.warnings, "");
      assert.ok(compiled.rewrite.cpuAttributes > 0);
    });

    it("turns the variable-length copy into sol_memcpy_ and sol_memset_ syscalls", function () {
      assert.ok(compiled.rewrite.rewritten.memcpy >= 1);
      const { report } = link(fs.readFileSync(compiled.object));
      assert.ok(report.syscalls.includes("sol_memcpy_"), report.syscalls.join(" "));
    });

    it("logs a string from .rodata and the checksum of the copied data", function () {
      const outcome = runner.run(Buffer.from([1, 2, 3, 4]));
      assert.equal(outcome.ok, true, outcome.error);
      // checksum = ((1·31 + 2)·31 + 3)·31 + 4 = 31810 = 0x7c42
      assert.deepEqual(logged(outcome.logs), ["bonjour from Rust", "0x4, 0x7c42, 0x0, 0x0, 0x0"]);
      assert.ok(outcome.computeUnits > 0n && outcome.computeUnits < 1000n, `${outcome.computeUnits} CU`);
    });

    it("deploys through BPFLoaderUpgradeable and runs", function () {
      const chain = new Chain();
      const deployed = chain.deployUpgradeable(link(fs.readFileSync(compiled.object)).so);
      assert.ok("programId" in deployed, "failed" in deployed ? deployed.failed.logs.join("\n") : "");
      const outcome = new ProgramRunner(chain, deployed.programId).run(Buffer.from([0]));
      assert.equal(outcome.ok, true, outcome.error);
      assert.deepEqual(logged(outcome.logs)[0], "hello from Rust");
    });

    it("returns a custom error code chosen by the instruction data", function () {
      const outcome = runner.run(Buffer.from([0xee, 7]));
      assert.equal(outcome.customError, 7);
      assert.deepEqual(logged(outcome.logs)[0], "hello from Rust");
      assert.equal(runner.run(Buffer.from([])).customError, 1);
    });

    it("shows rustc's own message when the crate does not compile", function () {
      const src = path.join(dir, "broken.rs");
      fs.writeFileSync(src, '#![no_std]\n#[no_mangle]\npub extern "C" fn entrypoint(_: *mut u8) -> u64 { "not a number" }\n');
      assertToolError(() => compileRust(toolchain, { src, crateName: "broken", workDir: dir }), "SBF_BUILD_RUSTC", /error\[E0308\]: mismatched types/);
    });

    it("shows llc's message when code needs a libcall BPF does not have (u128 multiply)", function () {
      const src = path.join(dir, "wide.rs");
      fs.writeFileSync(
        src,
        [
          "#![no_std]",
          "#[no_mangle]",
          'pub unsafe extern "C" fn entrypoint(input: *mut u8) -> u64 {',
          "    let a = *(input as *const u64) as u128;",
          "    let b = *(input.add(8) as *const u64) as u128;",
          "    ((a * b) >> 64) as u64",
          "}",
          '#[cfg(target_arch = "bpf")]',
          "#[panic_handler]",
          "fn panic(_: &core::panic::PanicInfo) -> ! { loop {} }",
          "",
        ].join("\n"),
      );
      assertToolError(() => compileRust(toolchain, { src, crateName: "wide", workDir: dir }), "SBF_BUILD_LLC", /__multi3/);
    });

    it("shows llc's message when a function needs more than the 4 KiB stack frame", function () {
      const src = path.join(dir, "deep.rs");
      fs.writeFileSync(
        src,
        [
          "#![no_std]",
          "extern \"C\" { fn sol_log_(m: *const u8, n: u64); }",
          "#[no_mangle]",
          'pub unsafe extern "C" fn entrypoint(input: *mut u8) -> u64 {',
          "    let mut big = [0u8; 6000];",
          "    let n = *(input as *const u64) as usize % 6000;",
          "    core::ptr::write_volatile(big.as_mut_ptr().add(n), 1);",
          "    sol_log_(big.as_ptr(), 6000);",
          "    0",
          "}",
          '#[cfg(target_arch = "bpf")]',
          "#[panic_handler]",
          "fn panic(_: &core::panic::PanicInfo) -> ! { loop {} }",
          "",
        ].join("\n"),
      );
      assertToolError(() => compileRust(toolchain, { src, crateName: "deep", workDir: dir }), "SBF_BUILD_LLC", /stack limit/i);
    });
  });
});
