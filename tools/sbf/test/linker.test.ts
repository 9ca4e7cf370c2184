import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";

import { run } from "../exec";
import { link, type LinkReport } from "../linker";
import {
  DF_TEXTREL,
  DT_FLAGS,
  DT_NULL,
  DT_REL,
  DT_RELENT,
  DT_RELSZ,
  DT_STRSZ,
  DT_STRTAB,
  DT_SYMENT,
  DT_SYMTAB,
  EM_BPF,
  ET_DYN,
  MM_PROGRAM_START,
  PF_R,
  PF_X,
  PT_DYNAMIC,
  PT_LOAD,
  R_BPF_64_32,
  SHF_ALLOC,
} from "../linker/elf";
import { llvm } from "../paths";
import { ensureToolchain } from "../setup";
import { assemble, assertLinkError, compileCSource, entrypointAsm, fixtures, scratchDir } from "./helpers";
import { findInstructions, inspect, instruction, type SharedObject } from "./inspect";

const OP_LDDW = 0x18;
const OP_CALL = 0x85;
const OP_CALLX = 0x8d;

function lddwValue(bytes: Buffer, at: number): bigint {
  return (BigInt(bytes.readUInt32LE(at + 12)) << 32n) | BigInt(bytes.readUInt32LE(at + 4));
}

/** File offset of the NUL-terminated or exact `text` inside .rodata. */
function rodataOffsetOf(so: SharedObject, text: string): number {
  const rodata = so.section(".rodata");
  const at = so.bytes.subarray(rodata.offset, rodata.offset + rodata.size).indexOf(Buffer.from(text));
  assert.ok(at >= 0, `"${text}" not in .rodata`);
  return rodata.offset + at;
}

describe("SBPFv0 linker", function () {
  // The first run on a fresh machine installs the compilers and builds the sysroot.
  this.timeout(10 * 60_000);
  let dir: string;
  let helloObject: Buffer;

  before(function () {
    ensureToolchain({ quiet: true });
    dir = scratchDir("linker");
    helloObject = compileCSource(dir, "hello", fs.readFileSync(path.join(fixtures, "hello.c"), "utf8"));
  });

  after(function () {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe("output layout", function () {
    let so: SharedObject;
    let report: LinkReport;

    before(function () {
      const linked = link(helloObject);
      so = inspect(linked.so);
      report = linked.report;
    });

    it("writes an ELF64 little-endian ET_DYN for EM_BPF with e_flags 0 (SBPFv0)", function () {
      assert.deepEqual([...so.bytes.subarray(0, 8)], [0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]);
      assert.equal(so.type, ET_DYN);
      assert.equal(so.machine, EM_BPF);
      assert.equal(so.flags, 0);
      assert.equal(report.fileSize, so.bytes.length);
    });

    it("names the sections .text .rodata .dynamic .dynsym .dynstr .rel.dyn .shstrtab after the null one", function () {
      assert.deepEqual(
        so.sections.map((s) => s.name),
        ["", ".text", ".rodata", ".dynamic", ".dynsym", ".dynstr", ".rel.dyn", ".shstrtab"],
      );
      assert.equal(so.sections[0].type, 0);
    });

    it("gives every loaded section an address equal to its file offset, in ascending order without overlap", function () {
      let end = 0;
      for (const s of so.sections.slice(1)) {
        if (s.flags & BigInt(SHF_ALLOC)) assert.equal(s.addr, BigInt(s.offset), s.name);
        assert.ok(s.offset >= end, `${s.name} overlaps the previous section`);
        end = s.offset + s.size;
      }
      const shoff = Number(so.bytes.readBigUInt64LE(40));
      assert.ok(shoff >= end, "section headers overlap a section");
    });

    it("sets e_entry to the file offset of the entrypoint function", function () {
      const text = so.section(".text");
      assert.equal(so.entry, BigInt(report.entry));
      assert.ok(so.entry >= BigInt(text.offset) && so.entry < BigInt(text.offset + text.size));
      assert.equal((Number(so.entry) - text.offset) % 8, 0);
      const disassembly = run("TEST", llvm.objdump, ["-d", path.join(dir, "hello.o")]).stdout;
      const entryInObject = /^([0-9a-f]+) <entrypoint>:/m.exec(disassembly);
      assert.ok(entryInObject);
      assert.equal(Number(so.entry) - text.offset, parseInt(entryInObject[1], 16));
    });

    it("maps .text+.rodata with a R+X PT_LOAD, the dynamic tables with a R PT_LOAD, and .dynamic with PT_DYNAMIC", function () {
      const [code, tables, dynamic] = so.programHeaders;
      const text = so.section(".text");
      const rodata = so.section(".rodata");
      assert.equal(so.programHeaders.length, 3);
      for (const ph of so.programHeaders) {
        assert.equal(ph.vaddr, ph.offset);
        assert.equal(ph.paddr, ph.offset);
        assert.equal(ph.filesz, ph.memsz);
      }
      assert.deepEqual([code.type, code.flags], [PT_LOAD, PF_R | PF_X]);
      assert.equal(code.offset, BigInt(text.offset));
      assert.equal(code.offset + code.filesz, BigInt(rodata.offset + rodata.size));
      const first = so.section(".dynamic");
      const last = so.section(".rel.dyn");
      assert.deepEqual([tables.type, tables.flags], [PT_LOAD, PF_R]);
      assert.equal(tables.offset, BigInt(first.offset));
      assert.equal(tables.offset + tables.filesz, BigInt(last.offset + last.size));
      assert.equal(dynamic.type, PT_DYNAMIC);
      assert.equal(dynamic.offset, BigInt(first.offset));
      assert.equal(dynamic.filesz, BigInt(first.size));
    });

    it("fills .dynamic with the relocation, symbol and string tables, DF_TEXTREL and DT_NULL", function () {
      assert.deepEqual(so.dynamicTags, [DT_REL, DT_RELSZ, DT_RELENT, DT_SYMTAB, DT_SYMENT, DT_STRTAB, DT_STRSZ, DT_FLAGS, DT_NULL]);
      assert.equal(so.dynamic.get(DT_REL), BigInt(so.section(".rel.dyn").offset));
      assert.equal(so.dynamic.get(DT_RELSZ), BigInt(so.section(".rel.dyn").size));
      assert.equal(so.dynamic.get(DT_RELENT), 16n);
      assert.equal(so.dynamic.get(DT_SYMTAB), BigInt(so.section(".dynsym").offset));
      assert.equal(so.dynamic.get(DT_SYMENT), 24n);
      assert.equal(so.dynamic.get(DT_STRTAB), BigInt(so.section(".dynstr").offset));
      assert.equal(so.dynamic.get(DT_STRSZ), BigInt(so.section(".dynstr").size));
      assert.equal(so.dynamic.get(DT_FLAGS), BigInt(DF_TEXTREL));
    });

    it("declares each syscall once in .dynsym as an undefined GLOBAL NOTYPE symbol", function () {
      assert.deepEqual(so.dynsym[0], { name: "", info: 0, shndx: 0, value: 0n });
      assert.deepEqual(
        so.dynsym.slice(1).map((s) => s.name),
        ["sol_log_", "sol_log_64_"],
      );
      for (const sym of so.dynsym.slice(1)) {
        assert.equal(sym.info, 0x10, `${sym.name}: STB_GLOBAL << 4 | STT_NOTYPE`);
        assert.equal(sym.shndx, 0);
        assert.equal(sym.value, 0n);
      }
      assert.deepEqual(report.syscalls, ["sol_log_", "sol_log_64_"]);
    });

    it("gives every syscall call a .rel.dyn R_BPF_64_32 entry at the call, whose immediate is -1", function () {
      // hello.c calls sol_log_ twice and sol_log_64_ once.
      assert.deepEqual(
        so.relDyn.map((r) => [so.dynsym[r.symbol].name, r.type]),
        [["sol_log_", R_BPF_64_32], ["sol_log_", R_BPF_64_32], ["sol_log_64_", R_BPF_64_32]],
      );
      for (const rel of so.relDyn) {
        const insn = instruction(so.bytes, Number(rel.offset));
        assert.equal(insn.op, OP_CALL);
        assert.equal(insn.imm, -1);
      }
    });

    it("is read by llvm-readelf-19 without a warning", function () {
      const out = path.join(dir, "hello.so");
      fs.writeFileSync(out, so.bytes);
      const result = run("TEST", llvm.readelf, ["--all", out]);
      assert.equal(result.stderr, "");
      assert.match(result.stdout, /Type:\s+DYN/);
    });

    it("leaves out .rel.dyn and DT_REL* when the program calls no syscall", function () {
      const bare = inspect(link(assemble(dir, "bare", entrypointAsm())).so);
      assert.deepEqual(
        bare.sections.map((s) => s.name),
        ["", ".text", ".dynamic", ".dynsym", ".dynstr", ".shstrtab"],
      );
      assert.deepEqual(bare.dynamicTags, [DT_SYMTAB, DT_SYMENT, DT_STRTAB, DT_STRSZ, DT_FLAGS, DT_NULL]);
      assert.equal(bare.dynsym.length, 1);
    });
  });

  describe("relocations", function () {
    let so: SharedObject;
    let report: LinkReport;

    before(function () {
      const linked = link(helloObject);
      so = inspect(linked.so);
      report = linked.report;
    });

    it("resolves R_BPF_64_64 (lddw) to MM_PROGRAM_START plus the address of the data", function () {
      const targets = findInstructions(so, OP_LDDW).map((at) => lddwValue(so.bytes, at));
      assert.ok(targets.includes(MM_PROGRAM_START + BigInt(rodataOffsetOf(so, "hello from C"))), "greeting address not loaded");
      assert.ok(report.relocations.R_BPF_64_64 >= 2);
    });

    it("resolves R_BPF_64_ABS64 in read-only data to the absolute addresses of strings and functions", function () {
      const lddwTargets = findInstructions(so, OP_LDDW).map((at) => lddwValue(so.bytes, at) - MM_PROGRAM_START);
      const rodata = so.section(".rodata");
      const pointers: bigint[] = [];
      for (let at = rodata.offset; at + 8 <= rodata.offset + rodata.size; at += 8) pointers.push(so.bytes.readBigUInt64LE(at));
      assert.ok(pointers.includes(MM_PROGRAM_START + BigInt(rodataOffsetOf(so, "first message"))));
      assert.ok(pointers.includes(MM_PROGRAM_START + BigInt(rodataOffsetOf(so, "second message"))));
      const text = so.section(".text");
      const functionPointers = pointers.filter((p) => p >= MM_PROGRAM_START + BigInt(text.offset) && p < MM_PROGRAM_START + BigInt(text.offset + text.size));
      assert.equal(functionPointers.length, 2, "the operations table holds two function pointers");
      assert.ok(lddwTargets.length > 0);
      assert.equal(report.relocations.R_BPF_64_ABS64, 4);
    });

    it("resolves R_BPF_64_32 against a defined function into a pc-relative call with src = 1", function () {
      const text = so.section(".text");
      const disassembly = run("TEST", llvm.objdump, ["-d", path.join(dir, "hello.o")]).stdout;
      const thrice = /^([0-9a-f]+) <thrice>:/m.exec(disassembly);
      assert.ok(thrice);
      const thriceAddress = text.offset + parseInt(thrice[1], 16);
      const internal = findInstructions(so, OP_CALL).filter((at) => instruction(so.bytes, at).imm !== -1);
      const targets = internal.map((at) => at + (instruction(so.bytes, at).imm + 1) * 8);
      assert.ok(targets.includes(thriceAddress), "no call lands on thrice");
      for (const at of internal) assert.equal(instruction(so.bytes, at).src, 1);
    });

    it("resolves a call to a section symbol using the implicit addend (imm + 1) * 8", function () {
      const object = assemble(
        dir,
        "sections",
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
      const linked = inspect(link(object).so);
      const [call] = findInstructions(linked, OP_CALL);
      const target = call + (instruction(linked.bytes, call).imm + 1) * 8;
      // .text (2 slots) comes first, then .text.helpers: helper_b is its third slot.
      assert.equal(target, linked.section(".text").offset + 2 * 8 + 2 * 8);
      assert.equal(instruction(linked.bytes, target).imm, 42);
    });

    it("resolves R_BPF_64_ABS32 against an absolute symbol", function () {
      const object = assemble(
        dir,
        "abs32",
        [entrypointAsm(), '\t.section .rodata,"a"', "\t.long entrypoint", "\t.weak magic", "\t.set magic, 0x1234", ""].join("\n"),
      );
      // Point the relocation at `magic` (SHN_ABS): the assembler folds such references itself.
      const patched = retargetRelocation(object, "entrypoint", "magic");
      const linked = inspect(link(patched).so);
      assert.equal(linked.bytes.readUInt32LE(linked.section(".rodata").offset), 0x1234);
    });

    it("rejects R_BPF_64_ABS32 to an address that needs 64 bits, naming the symbol", function () {
      const object = assemble(dir, "abs32-far", [entrypointAsm(), '\t.section .rodata,"a"', "\t.long entrypoint", ""].join("\n"));
      assertLinkError(() => link(object), "SBF_LINK_VALUE_RANGE", /`entrypoint`/, /R_BPF_64_ABS32/);
    });

    it("rejects an unknown relocation type, naming it and the symbol", function () {
      const patched = Buffer.from(helloObject);
      const rel = findRelocation(patched, ".rel.rodata", 0);
      patched.writeUInt32LE(99, rel + 8);
      assertLinkError(() => link(patched), "SBF_LINK_UNKNOWN_RELOCATION", /type 99/, /\.rodata\+0x[0-9a-f]+: /);
    });
  });

  describe("rejections", function () {
    it("rejects writable .bss data, naming the symbol", function () {
      const object = compileCSource(dir, "bss", "unsigned long counter;\nunsigned long entrypoint(void *i) { return ++counter; }\n");
      assertLinkError(() => link(object), "SBF_LINK_WRITABLE_DATA", /`counter`/, /\.bss/, /keep mutable state in an account/);
    });

    it("rejects writable .data, naming every symbol in it", function () {
      const object = compileCSource(
        dir,
        "data",
        "unsigned long total = 5;\nunsigned long limit = 9;\nunsigned long entrypoint(void *i) { total += limit; return total; }\n",
      );
      assertLinkError(() => link(object), "SBF_LINK_WRITABLE_DATA", /`total`/, /`limit`/, /\.data/);
    });

    it("rejects a common (uninitialised global) symbol, naming it", function () {
      const object = compileCSource(dir, "common", "unsigned long hits;\nunsigned long entrypoint(void *i) { return ++hits; }\n", ["-fcommon"]);
      assertLinkError(() => link(object), "SBF_LINK_WRITABLE_DATA", /`hits`/);
    });

    const unsupported: [string, string, RegExp][] = [
      ["32-bit ALU operations", "w0 += 1", /32-bit ALU operation `add32`/],
      ["JMP32 jumps", "if w1 > 3 goto +0", /JMP32/],
      ["atomics", "lock *(u64 *)(r1 + 0) += r2", /atomic/],
      ["signed division (cpu v4)", "r0 s/= r1", /sdiv/],
      ["signed modulo (cpu v4)", "r0 s%= r1", /smod/],
      ["sign-extending moves (cpu v4)", "r0 = (s8)r1", /movsx/],
      ["sign-extending loads (cpu v4)", "r0 = *(s8 *)(r1 + 0)", /sign-extending load/],
      ["64-bit byte swaps (cpu v4)", "r0 = bswap64 r0", /bswap/],
      ["legacy packet loads", "r0 = *(u8 *)skb[0]", /packet load/],
    ];
    for (const [what, asm, message] of unsupported) {
      it(`rejects ${what}, naming the function and instruction`, function () {
        const object = assemble(dir, "unsupported", entrypointAsm("r1 = r10", "r2 = 1", asm));
        assertLinkError(() => link(object), "SBF_LINK_UNSUPPORTED_INSTRUCTION", message, /in `entrypoint`\+0x10/, /instruction 2/);
      });
    }

    it("accepts le/be byte swaps, which SBPFv0 executes like LLVM expects", function () {
      const { report } = link(assemble(dir, "endian", entrypointAsm("r0 = be16 r0", "r0 = le64 r0")));
      assert.equal(report.instructions, 4);
    });

    it("moves the callx register from dst into the immediate, as SBPFv0 reads it", function () {
      const { so, report } = link(assemble(dir, "callx", entrypointAsm("callx r2")));
      const text = inspect(so).section(".text");
      assert.deepEqual(instruction(so, text.offset), { op: OP_CALLX, dst: 0, src: 0, off: 0, imm: 2 });
      assert.equal(report.callxFixups, 1);
    });

    it("rejects a call to an undefined function that is not a syscall, naming it", function () {
      const object = compileCSource(dir, "undefined", "extern void helper(void);\nunsigned long entrypoint(void *i) { helper(); return 0; }\n");
      assertLinkError(() => link(object), "SBF_LINK_UNKNOWN_SYSCALL", /`helper`/, /not a Solana syscall/);
    });

    it("suggests the runtime's replacement for a C library function such as memcmp", function () {
      const object = compileCSource(
        dir,
        "memcmp",
        "extern int memcmp(const void *, const void *, unsigned long);\nunsigned long entrypoint(unsigned char *i) { return memcmp(i, i + 8, 8); }\n",
      );
      assertLinkError(() => link(object), "SBF_LINK_UNKNOWN_SYSCALL", /`memcmp`/, /sol_memcmp_/);
    });

    it("accepts an extra syscall name when asked to", function () {
      const object = compileCSource(dir, "extra", "extern void sol_future_(void);\nunsigned long entrypoint(void *i) { sol_future_(); return 0; }\n");
      assert.deepEqual(link(object, { extraSyscalls: ["sol_future_"] }).report.syscalls, ["sol_future_"]);
    });

    it("rejects an object without an entrypoint function", function () {
      const object = compileCSource(dir, "noentry", "unsigned long start(void *i) { return 0; }\n");
      assertLinkError(() => link(object), "SBF_LINK_NO_ENTRYPOINT", /`entrypoint`/);
    });

    it("rejects input that is not an ELF file", function () {
      assertLinkError(() => link(Buffer.from("not an object file at all, really not one")), "SBF_LINK_NOT_ELF");
    });

    it("rejects a shared object given as input", function () {
      assertLinkError(() => link(link(helloObject).so), "SBF_LINK_NOT_RELOCATABLE", /ET_REL/);
    });

    it("rejects RELA relocation sections", function () {
      const patched = Buffer.from(helloObject);
      const header = sectionHeaderOffset(patched, ".rel.text");
      patched.writeUInt32LE(4, header + 4); // SHT_RELA
      assertLinkError(() => link(patched), "SBF_LINK_RELA", /\.rel\.text/);
    });

    it("rejects a truncated object", function () {
      assertLinkError(() => link(helloObject.subarray(0, 200)), "SBF_LINK_BAD_OBJECT");
    });
  });
});

// Object-file surgery for cases no compiler emits.

function sectionHeaderOffset(obj: Buffer, name: string): number {
  const shoff = Number(obj.readBigUInt64LE(40));
  const shnum = obj.readUInt16LE(60);
  const shstrndx = obj.readUInt16LE(62);
  const strOffset = Number(obj.readBigUInt64LE(shoff + shstrndx * 64 + 24));
  for (let i = 0; i < shnum; i++) {
    const at = shoff + i * 64;
    const nameAt = strOffset + obj.readUInt32LE(at);
    if (obj.toString("utf8", nameAt, obj.indexOf(0, nameAt)) === name) return at;
  }
  throw new Error(`no section ${name}`);
}

/** File offset of relocation `index` in the REL section `name`. */
function findRelocation(obj: Buffer, name: string, index: number): number {
  const header = sectionHeaderOffset(obj, name);
  return Number(obj.readBigUInt64LE(header + 24)) + index * 16;
}

/** Makes every relocation against symbol `from` refer to symbol `to` instead. */
function retargetRelocation(obj: Buffer, from: string, to: string): Buffer {
  const out = Buffer.from(obj);
  const symtab = sectionHeaderOffset(out, ".symtab");
  const symOffset = Number(out.readBigUInt64LE(symtab + 24));
  const symSize = Number(out.readBigUInt64LE(symtab + 32));
  const strtab = Number(out.readBigUInt64LE(Number(out.readBigUInt64LE(40)) + out.readUInt32LE(symtab + 40) * 64 + 24));
  const indexOf = (name: string) => {
    for (let i = 0; i * 24 < symSize; i++) {
      const nameAt = strtab + out.readUInt32LE(symOffset + i * 24);
      if (out.toString("utf8", nameAt, out.indexOf(0, nameAt)) === name) return i;
    }
    throw new Error(`no symbol ${name}`);
  };
  const fromIndex = BigInt(indexOf(from));
  const toIndex = BigInt(indexOf(to));
  const rel = sectionHeaderOffset(out, ".rel.rodata");
  const relOffset = Number(out.readBigUInt64LE(rel + 24));
  const relSize = Number(out.readBigUInt64LE(rel + 32));
  for (let at = relOffset; at < relOffset + relSize; at += 16) {
    const info = out.readBigUInt64LE(at + 8);
    if (info >> 32n === fromIndex) out.writeBigUInt64LE((toIndex << 32n) | (info & 0xffffffffn), at + 8);
  }
  return out;
}
