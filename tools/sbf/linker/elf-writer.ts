// Writes the SBPFv0 shared object: ELF64 LE, ET_DYN, EM_BPF, e_flags 0, with the program headers,
// dynamic tables and section headers laid out by layout.ts (virtual address = physical address =
// file offset everywhere). The code and read-only data are already relocated in `image`.
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
  DYN_SIZE,
  EHDR_SIZE,
  ELFCLASS64,
  ELFDATA2LSB,
  ELFOSABI_NONE,
  EM_BPF,
  ET_DYN,
  EV_CURRENT,
  PF_R,
  PF_X,
  PHDR_SIZE,
  PT_DYNAMIC,
  PT_LOAD,
  R_BPF_64_32,
  REL_SIZE,
  SHDR_SIZE,
  SHF_ALLOC,
  SHF_EXECINSTR,
  SHF_WRITE,
  SHT_DYNAMIC,
  SHT_DYNSYM,
  SHT_PROGBITS,
  SHT_REL,
  SHT_STRTAB,
  STB_GLOBAL,
  STT_NOTYPE,
  SYM_SIZE,
} from "./elf";
import { type CodeLayout, type DynamicLayout, PROGRAM_HEADER_COUNT, outputSectionNames } from "./layout";
import type { SyscallSite } from "./relocations";

export interface WriteInput {
  /** Buffer of at least `code.end` bytes holding relocated .text and .rodata at their offsets. */
  image: Buffer;
  code: CodeLayout;
  dynamic: DynamicLayout;
  /** Unique syscall names in .dynsym order (symbol i + 1). */
  syscallNames: string[];
  syscallSites: SyscallSite[];
  entry: number;
}

interface SectionHeader {
  name: string;
  type: number;
  flags: number;
  offset: number;
  size: number;
  link: number;
  info: number;
  align: number;
  entsize: number;
}

export function writeSharedObject(input: WriteInput): Buffer {
  const { code, dynamic, syscallNames, syscallSites } = input;
  const hasRodata = code.rodataSize > 0;
  const hasRelocations = syscallSites.length > 0;
  const names = outputSectionNames(hasRodata, hasRelocations);
  const sectionIndex = (name: string) => names.indexOf(name) + 1;
  const total = dynamic.sectionHeadersOffset + (names.length + 1) * SHDR_SIZE;
  const out = Buffer.alloc(total);
  input.image.copy(out, 0, 0, code.end);

  // .dynstr and .dynsym: one GLOBAL NOTYPE undefined symbol per syscall.
  const nameOffsets = new Map<string, number>();
  let strAt = 1;
  for (const name of syscallNames) {
    nameOffsets.set(name, strAt);
    strAt += out.write(name, dynamic.dynstrOffset + strAt) + 1;
  }
  syscallNames.forEach((name, i) => {
    const at = dynamic.dynsymOffset + (i + 1) * SYM_SIZE;
    out.writeUInt32LE(nameOffsets.get(name) ?? 0, at);
    out[at + 4] = (STB_GLOBAL << 4) | STT_NOTYPE;
  });

  // .rel.dyn: r_offset = address of the call, r_info = (dynsym index << 32) | R_BPF_64_32.
  syscallSites.forEach((site, i) => {
    const at = dynamic.relDynOffset + i * REL_SIZE;
    out.writeBigUInt64LE(BigInt(site.offset), at);
    out.writeBigUInt64LE((BigInt(syscallNames.indexOf(site.name) + 1) << 32n) | BigInt(R_BPF_64_32), at + 8);
  });

  // .dynamic
  const entries: [number, number][] = [
    ...(hasRelocations ? ([[DT_REL, dynamic.relDynOffset], [DT_RELSZ, dynamic.relDynSize], [DT_RELENT, REL_SIZE]] as [number, number][]) : []),
    [DT_SYMTAB, dynamic.dynsymOffset],
    [DT_SYMENT, SYM_SIZE],
    [DT_STRTAB, dynamic.dynstrOffset],
    [DT_STRSZ, dynamic.dynstrSize],
    [DT_FLAGS, DF_TEXTREL],
    [DT_NULL, 0],
  ];
  entries.forEach(([tag, value], i) => {
    const at = dynamic.dynamicOffset + i * DYN_SIZE;
    out.writeBigUInt64LE(BigInt(tag), at);
    out.writeBigUInt64LE(BigInt(value), at + 8);
  });

  // .shstrtab
  const shNameOffsets = new Map<string, number>();
  let shAt = 1;
  for (const name of names) {
    shNameOffsets.set(name, shAt);
    shAt += out.write(name, dynamic.shstrtabOffset + shAt) + 1;
  }

  // ELF header
  out.writeUInt32BE(0x7f454c46, 0);
  out[4] = ELFCLASS64;
  out[5] = ELFDATA2LSB;
  out[6] = EV_CURRENT;
  out[7] = ELFOSABI_NONE;
  out.writeUInt16LE(ET_DYN, 16);
  out.writeUInt16LE(EM_BPF, 18);
  out.writeUInt32LE(EV_CURRENT, 20);
  out.writeBigUInt64LE(BigInt(input.entry), 24);
  out.writeBigUInt64LE(BigInt(EHDR_SIZE), 32); // e_phoff
  out.writeBigUInt64LE(BigInt(dynamic.sectionHeadersOffset), 40); // e_shoff
  out.writeUInt32LE(0, 48); // e_flags = 0: SBPFv0
  out.writeUInt16LE(EHDR_SIZE, 52);
  out.writeUInt16LE(PHDR_SIZE, 54);
  out.writeUInt16LE(PROGRAM_HEADER_COUNT, 56);
  out.writeUInt16LE(SHDR_SIZE, 58);
  out.writeUInt16LE(names.length + 1, 60);
  out.writeUInt16LE(sectionIndex(".shstrtab"), 62);

  // Program headers: code (R+X), dynamic tables (R), PT_DYNAMIC.
  const phdrs: [number, number, number, number, number][] = [
    [PT_LOAD, PF_R | PF_X, code.textOffset, code.end - code.textOffset, 0x1000],
    [PT_LOAD, PF_R, dynamic.dynamicOffset, dynamic.end - dynamic.dynamicOffset, 0x1000],
    [PT_DYNAMIC, PF_R, dynamic.dynamicOffset, dynamic.dynamicSize, 8],
  ];
  phdrs.forEach(([type, flags, offset, size, align], i) => {
    const at = EHDR_SIZE + i * PHDR_SIZE;
    out.writeUInt32LE(type, at);
    out.writeUInt32LE(flags, at + 4);
    out.writeBigUInt64LE(BigInt(offset), at + 8); // p_offset
    out.writeBigUInt64LE(BigInt(offset), at + 16); // p_vaddr
    out.writeBigUInt64LE(BigInt(offset), at + 24); // p_paddr
    out.writeBigUInt64LE(BigInt(size), at + 32); // p_filesz
    out.writeBigUInt64LE(BigInt(size), at + 40); // p_memsz
    out.writeBigUInt64LE(BigInt(align), at + 48);
  });

  // Section headers, in file order (the loader requires ascending, non-overlapping sections).
  const rodataAlign = Math.max(8, ...[...code.placements.values()].filter((p) => p.output === "rodata").map((p) => p.section.align));
  const headers: SectionHeader[] = [
    { name: ".text", type: SHT_PROGBITS, flags: SHF_ALLOC | SHF_EXECINSTR, offset: code.textOffset, size: code.textSize, link: 0, info: 0, align: 8, entsize: 0 },
    ...(hasRodata
      ? [{ name: ".rodata", type: SHT_PROGBITS, flags: SHF_ALLOC, offset: code.rodataOffset, size: code.rodataSize, link: 0, info: 0, align: rodataAlign, entsize: 0 }]
      : []),
    { name: ".dynamic", type: SHT_DYNAMIC, flags: SHF_ALLOC | SHF_WRITE, offset: dynamic.dynamicOffset, size: dynamic.dynamicSize, link: sectionIndex(".dynstr"), info: 0, align: 8, entsize: DYN_SIZE },
    { name: ".dynsym", type: SHT_DYNSYM, flags: SHF_ALLOC, offset: dynamic.dynsymOffset, size: dynamic.dynsymSize, link: sectionIndex(".dynstr"), info: 1, align: 8, entsize: SYM_SIZE },
    { name: ".dynstr", type: SHT_STRTAB, flags: SHF_ALLOC, offset: dynamic.dynstrOffset, size: dynamic.dynstrSize, link: 0, info: 0, align: 1, entsize: 0 },
    ...(hasRelocations
      ? [{ name: ".rel.dyn", type: SHT_REL, flags: SHF_ALLOC, offset: dynamic.relDynOffset, size: dynamic.relDynSize, link: sectionIndex(".dynsym"), info: 0, align: 8, entsize: REL_SIZE }]
      : []),
    { name: ".shstrtab", type: SHT_STRTAB, flags: 0, offset: dynamic.shstrtabOffset, size: dynamic.shstrtabSize, link: 0, info: 0, align: 1, entsize: 0 },
  ];
  headers.forEach((h, i) => {
    const at = dynamic.sectionHeadersOffset + (i + 1) * SHDR_SIZE;
    const alloc = (h.flags & SHF_ALLOC) !== 0;
    out.writeUInt32LE(shNameOffsets.get(h.name) ?? 0, at);
    out.writeUInt32LE(h.type, at + 4);
    out.writeBigUInt64LE(BigInt(h.flags), at + 8);
    out.writeBigUInt64LE(BigInt(alloc ? h.offset : 0), at + 16); // sh_addr = file offset
    out.writeBigUInt64LE(BigInt(h.offset), at + 24);
    out.writeBigUInt64LE(BigInt(h.size), at + 32);
    out.writeUInt32LE(h.link, at + 40);
    out.writeUInt32LE(h.info, at + 44);
    out.writeBigUInt64LE(BigInt(h.align), at + 48);
    out.writeBigUInt64LE(BigInt(h.entsize), at + 56);
  });
  // Section header 0 stays the all-zero SHT_NULL entry.
  return out;
}
