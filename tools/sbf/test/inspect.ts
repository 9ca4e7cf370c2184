// A minimal, independent reader of the linker's output for assertions: headers, program headers,
// sections by name, .dynamic entries, .dynsym and .rel.dyn. Deliberately separate from
// linker/elf-reader.ts so a bug there cannot hide one in the writer.
export interface ProgramHeader {
  type: number;
  flags: number;
  offset: bigint;
  vaddr: bigint;
  paddr: bigint;
  filesz: bigint;
  memsz: bigint;
}

export interface SectionHeader {
  name: string;
  type: number;
  flags: bigint;
  addr: bigint;
  offset: number;
  size: number;
  link: number;
  info: number;
  entsize: bigint;
}

export interface DynSymbol {
  name: string;
  info: number;
  shndx: number;
  value: bigint;
}

export interface SharedObject {
  bytes: Buffer;
  type: number;
  machine: number;
  flags: number;
  entry: bigint;
  programHeaders: ProgramHeader[];
  sections: SectionHeader[];
  section(name: string): SectionHeader;
  dynamic: Map<number, bigint>;
  dynamicTags: number[];
  dynsym: DynSymbol[];
  relDyn: { offset: bigint; symbol: number; type: number }[];
}

export function inspect(bytes: Buffer): SharedObject {
  const phoff = Number(bytes.readBigUInt64LE(32));
  const shoff = Number(bytes.readBigUInt64LE(40));
  const phnum = bytes.readUInt16LE(56);
  const shnum = bytes.readUInt16LE(60);
  const shstrndx = bytes.readUInt16LE(62);
  const programHeaders: ProgramHeader[] = [];
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * 56;
    programHeaders.push({
      type: bytes.readUInt32LE(at),
      flags: bytes.readUInt32LE(at + 4),
      offset: bytes.readBigUInt64LE(at + 8),
      vaddr: bytes.readBigUInt64LE(at + 16),
      paddr: bytes.readBigUInt64LE(at + 24),
      filesz: bytes.readBigUInt64LE(at + 32),
      memsz: bytes.readBigUInt64LE(at + 40),
    });
  }
  const raw = Array.from({ length: shnum }, (_, i) => {
    const at = shoff + i * 64;
    return {
      nameOffset: bytes.readUInt32LE(at),
      type: bytes.readUInt32LE(at + 4),
      flags: bytes.readBigUInt64LE(at + 8),
      addr: bytes.readBigUInt64LE(at + 16),
      offset: Number(bytes.readBigUInt64LE(at + 24)),
      size: Number(bytes.readBigUInt64LE(at + 32)),
      link: bytes.readUInt32LE(at + 40),
      info: bytes.readUInt32LE(at + 44),
      entsize: bytes.readBigUInt64LE(at + 56),
    };
  });
  const strings = raw[shstrndx];
  const cstr = (base: number, offset: number) => {
    const end = bytes.indexOf(0, base + offset);
    return bytes.toString("utf8", base + offset, end);
  };
  const sections: SectionHeader[] = raw.map((s) => ({ ...s, name: cstr(strings.offset, s.nameOffset) }));
  const section = (name: string) => {
    const found = sections.find((s) => s.name === name);
    if (!found) throw new Error(`no section ${name}`);
    return found;
  };
  const dynamic = new Map<number, bigint>();
  const dynamicTags: number[] = [];
  const dynSection = sections.find((s) => s.name === ".dynamic");
  if (dynSection) {
    for (let at = dynSection.offset; at < dynSection.offset + dynSection.size; at += 16) {
      const tag = Number(bytes.readBigUInt64LE(at));
      dynamicTags.push(tag);
      dynamic.set(tag, bytes.readBigUInt64LE(at + 8));
    }
  }
  const dynsym: DynSymbol[] = [];
  const dynsymSection = sections.find((s) => s.name === ".dynsym");
  if (dynsymSection) {
    const dynstr = sections[dynsymSection.link];
    for (let at = dynsymSection.offset; at < dynsymSection.offset + dynsymSection.size; at += 24) {
      dynsym.push({
        name: cstr(dynstr.offset, bytes.readUInt32LE(at)),
        info: bytes[at + 4],
        shndx: bytes.readUInt16LE(at + 6),
        value: bytes.readBigUInt64LE(at + 8),
      });
    }
  }
  const relDyn: SharedObject["relDyn"] = [];
  const relSection = sections.find((s) => s.name === ".rel.dyn");
  if (relSection) {
    for (let at = relSection.offset; at < relSection.offset + relSection.size; at += 16) {
      const info = bytes.readBigUInt64LE(at + 8);
      relDyn.push({ offset: bytes.readBigUInt64LE(at), symbol: Number(info >> 32n), type: Number(info & 0xffffffffn) });
    }
  }
  return {
    bytes,
    type: bytes.readUInt16LE(16),
    machine: bytes.readUInt16LE(18),
    flags: bytes.readUInt32LE(48),
    entry: bytes.readBigUInt64LE(24),
    programHeaders,
    sections,
    section,
    dynamic,
    dynamicTags,
    dynsym,
    relDyn,
  };
}

/** The 8-byte instruction at byte address `at`: opcode, registers, offset, immediate. */
export function instruction(bytes: Buffer, at: number): { op: number; dst: number; src: number; off: number; imm: number } {
  return {
    op: bytes[at],
    dst: bytes[at + 1] & 0x0f,
    src: bytes[at + 1] >> 4,
    off: bytes.readInt16LE(at + 2),
    imm: bytes.readInt32LE(at + 4),
  };
}

/** Byte addresses of every instruction with opcode `op` in .text (lddw second slots skipped). */
export function findInstructions(so: SharedObject, op: number): number[] {
  const text = so.section(".text");
  const found: number[] = [];
  for (let at = text.offset; at < text.offset + text.size; at += 8) {
    if (so.bytes[at] === op) found.push(at);
    if (so.bytes[at] === 0x18) at += 8;
  }
  return found;
}
