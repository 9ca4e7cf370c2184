// Shared by the toolchain tests: a scratch directory, compiling C and assembly snippets with
// clang-19, and catching a LinkError by code.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { compileC } from "../compile";
import { run } from "../exec";
import { LinkError } from "../linker";
import { llvm } from "../paths";

export const fixtures = path.join(__dirname, "..", "fixtures");

export function scratchDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `sbf-${prefix}-`));
}

/** Compiles C source text into an object in `dir` and returns its bytes. */
export function compileCSource(dir: string, name: string, source: string, flags: string[] = []): Buffer {
  const src = path.join(dir, `${name}.c`);
  fs.writeFileSync(src, source);
  return fs.readFileSync(compileC(src, path.join(dir, `${name}.o`), flags));
}

/** Assembles eBPF assembly (any cpu version, so tests can produce what SBPFv0 must reject). */
export function assemble(dir: string, name: string, body: string): Buffer {
  const src = path.join(dir, `${name}.s`);
  fs.writeFileSync(src, body);
  const out = path.join(dir, `${name}.o`);
  run("TEST_ASSEMBLE", llvm.clang, ["-target", "bpf", "-mcpu=v4", "-c", src, "-o", out]);
  return fs.readFileSync(out);
}

/** A global `entrypoint` function made of the given instructions followed by `r0 = 0; exit`. */
export function entrypointAsm(...instructions: string[]): string {
  return [
    "\t.text",
    "\t.globl entrypoint",
    "\t.type entrypoint,@function",
    "entrypoint:",
    ...instructions.map((i) => `\t${i}`),
    "\tr0 = 0",
    "\texit",
    "\t.size entrypoint, .-entrypoint",
    "",
  ].join("\n");
}

/** Asserts that `fn` throws a LinkError with `code` whose message matches every pattern. */
export function assertLinkError(fn: () => unknown, code: string, ...patterns: RegExp[]): LinkError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof LinkError, `expected a LinkError ${code}, got ${caught instanceof Error ? caught.message : String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  for (const pattern of patterns) assert.match(caught.message, pattern);
  return caught;
}
