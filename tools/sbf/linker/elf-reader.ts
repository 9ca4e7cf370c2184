// Reads an ELF64 little-endian eBPF relocatable object (what clang-19 and llc-19 write): section
// headers and contents, the symbol table and REL relocations. Every offset is bounds-checked, so a
// truncated or foreign file fails with a clear error instead of garbage.
import {
  EHDR_SIZE,
  ELFCLASS64,
  ELFDATA2LSB,
  EM_BPF,
  ET_REL,
  REL_SIZE,
  SHDR_SIZE,
  SHT_NOBITS,
  SHT_REL,
  SHT_RELA,
  SHT_SYMTAB,
  SYM_SIZE,
} from "./elf";
import { LinkError } from "./errors";

export interface Section {
  index: number;
  name: string;
  type: number;
  flags: number;
  /** Alignment in bytes (0 and 1 both mean unaligned). */
  align: number;
  size: number;
  link: number;
  info: number;
  /** File contents; empty for SHT_NOBITS. */
  data: Buffer;
}

export interface ElfSymbol {
  index: number;
  name: string;
  value: bigint;
  size: bigint;
  bind: number;
  type: number;
  /** Section index, or SHN_UNDEF / SHN_ABS / SHN_COMMON. */
  shndx: number;
}

export interface Relocation {
  /** Byte offset inside the section being relocated. */
  offset: number;
  type: number;
  symbol: number;
}

export interface RelocationSection {
  section: Section;
  /** Index of the section the relocations apply to (sh_info). */
  target: number;
  relocations: Relocation[];
}

export interface ObjectFile {
  sections: Section[];
  symbols: ElfSymbol[];
  relocationSections: RelocationSection[];
}

function bad(message: string): never {
  throw new LinkError("SBF_LINK_BAD_OBJECT", `malformed ELF object: ${message}`);
}

function toNumber(value: bigint, what: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) bad(`${what} ${value} is out of range`);
  return Number(value);
}

function slice(bytes: Buffer, offset: number, size: number, what: string): Buffer {
  if (offset < 0 || size < 0 || offset + size > bytes.length) {
    bad(`${what} [${offset}, ${offset + size}) lies outside the ${bytes.length}-byte file`);
  }
  return bytes.subarray(offset, offset + size);
}

function cString(table: Buffer, offset: number, what: string): string {
  if (offset >= table.length && !(offset === 0 && table.length === 0)) bad(`${what} name offset ${offset} outside its string table`);
  const end = table.indexOf(0, offset);
  return table.toString("utf8", offset, end < 0 ? table.length : end);
}

export function readObject(bytes: Buffer): ObjectFile {
  if (bytes.length < EHDR_SIZE || bytes.readUInt32BE(0) !== 0x7f454c46) {
    throw new LinkError("SBF_LINK_NOT_ELF", "input is not an ELF file");
  }
  if (bytes[4] !== ELFCLASS64 || bytes[5] !== ELFDATA2LSB) {
    throw new LinkError("SBF_LINK_NOT_ELF", "input is not a 64-bit little-endian ELF file");
  }
  const type = bytes.readUInt16LE(16);
  const machine = bytes.readUInt16LE(18);
  if (machine !== EM_BPF) throw new LinkError("SBF_LINK_NOT_ELF", `input is for machine ${machine}, not eBPF (${EM_BPF})`);
  if (type !== ET_REL) {
    throw new LinkError("SBF_LINK_NOT_RELOCATABLE", `input has ELF type ${type}; expected a relocatable object (ET_REL, from clang -c or llc -filetype=obj)`);
  }
  const shoff = toNumber(bytes.readBigUInt64LE(40), "e_shoff");
  const shentsize = bytes.readUInt16LE(58);
  const shnum = bytes.readUInt16LE(60);
  const shstrndx = bytes.readUInt16LE(62);
  if (shentsize !== SHDR_SIZE) bad(`section header size ${shentsize}, expected ${SHDR_SIZE}`);
  if (shnum === 0) bad("no section headers");
  if (shstrndx >= shnum) bad(`section name table index ${shstrndx} out of range`);
  slice(bytes, shoff, shnum * SHDR_SIZE, "section header table");

  const raw = Array.from({ length: shnum }, (_, index) => {
    const at = shoff + index * SHDR_SIZE;
    return {
      nameOffset: bytes.readUInt32LE(at),
      type: bytes.readUInt32LE(at + 4),
      flags: toNumber(bytes.readBigUInt64LE(at + 8), "sh_flags"),
      offset: toNumber(bytes.readBigUInt64LE(at + 24), "sh_offset"),
      size: toNumber(bytes.readBigUInt64LE(at + 32), "sh_size"),
      link: bytes.readUInt32LE(at + 40),
      info: bytes.readUInt32LE(at + 44),
      align: toNumber(bytes.readBigUInt64LE(at + 48), "sh_addralign"),
    };
  });
  const names = slice(bytes, raw[shstrndx].offset, raw[shstrndx].size, "section name table");
  const sections: Section[] = raw.map((s, index) => ({
    index,
    name: cString(names, s.nameOffset, `section ${index}`),
    type: s.type,
    flags: s.flags,
    align: s.align,
    size: s.size,
    link: s.link,
    info: s.info,
    data: s.type === SHT_NOBITS ? Buffer.alloc(0) : slice(bytes, s.offset, s.size, `section ${index}`),
  }));

  const symtabs = sections.filter((s) => s.type === SHT_SYMTAB);
  if (symtabs.length > 1) bad("more than one symbol table");
  const symbols: ElfSymbol[] = [];
  if (symtabs.length === 1) {
    const symtab = symtabs[0];
    if (symtab.link >= sections.length) bad("symbol table's string table index out of range");
    const strtab = sections[symtab.link].data;
    for (let index = 0; index * SYM_SIZE < symtab.data.length; index++) {
      const at = index * SYM_SIZE;
      if (at + SYM_SIZE > symtab.data.length) bad("symbol table size is not a multiple of 24");
      const info = symtab.data[at + 4];
      symbols.push({
        index,
        name: cString(strtab, symtab.data.readUInt32LE(at), `symbol ${index}`),
        bind: info >> 4,
        type: info & 0xf,
        shndx: symtab.data.readUInt16LE(at + 6),
        value: symtab.data.readBigUInt64LE(at + 8),
        size: symtab.data.readBigUInt64LE(at + 16),
      });
    }
  }

  const relocationSections: RelocationSection[] = [];
  for (const section of sections) {
    if (section.type === SHT_RELA) {
      throw new LinkError(
        "SBF_LINK_RELA",
        `section ${section.name} uses RELA relocations; eBPF objects from clang/llc use REL (implicit addends)`,
      );
    }
    if (section.type !== SHT_REL) continue;
    if (section.info >= sections.length) bad(`${section.name} applies to section ${section.info}, which does not exist`);
    if (section.data.length % REL_SIZE !== 0) bad(`${section.name} size is not a multiple of ${REL_SIZE}`);
    const relocations: Relocation[] = [];
    for (let at = 0; at < section.data.length; at += REL_SIZE) {
      const info = section.data.readBigUInt64LE(at + 8);
      const symbol = Number(info >> 32n);
      if (symbol >= symbols.length) bad(`${section.name} entry ${at / REL_SIZE} refers to symbol ${symbol}, which does not exist`);
      relocations.push({
        offset: toNumber(section.data.readBigUInt64LE(at), "r_offset"),
        type: Number(info & 0xffffffffn),
        symbol,
      });
    }
    relocationSections.push({ section, target: section.info, relocations });
  }
  return { sections, symbols, relocationSections };
}
