// Decides where everything goes in the output image. SBPFv0 maps the file at
// MM_PROGRAM_START + file offset, so every address is a file offset and the layout is fixed:
//
//   ELF header | 3 program headers | .text | .rodata | .dynamic | .dynsym | .dynstr | .rel.dyn | .shstrtab | section headers
//   \________ PT_LOAD R+X: .text + .rodata ________/ \____ PT_LOAD R: dynamic tables ____/
//
// Input sections are classified here: executable → .text; read-only (including `.data.rel.ro*`, which
// is only writable for a dynamic loader and is fully resolved at link time) → .rodata; anything else
// that is allocated is writable static data, which the SBPF loader refuses, so it is rejected with
// the names of the symbols that live in it.
import {
  DYN_SIZE,
  EHDR_SIZE,
  PHDR_SIZE,
  REL_SIZE,
  SHF_ALLOC,
  SHF_EXECINSTR,
  SHF_WRITE,
  SHN_COMMON,
  SHT_NOBITS,
  SHT_PROGBITS,
  STT_SECTION,
  SYM_SIZE,
} from "./elf";
import { LinkError } from "./errors";
import type { ElfSymbol, ObjectFile, Section } from "./elf-reader";

export const PROGRAM_HEADER_COUNT = 3;

export type OutputSection = "text" | "rodata";

export interface Placement {
  section: Section;
  output: OutputSection;
  /** File offset (= SBPFv0 section address) of the first byte of this input section. */
  address: number;
}

export interface CodeLayout {
  placements: Map<number, Placement>;
  textOffset: number;
  textSize: number;
  rodataOffset: number;
  rodataSize: number;
  /** First byte after .rodata (or .text when there is no read-only data). */
  end: number;
}

export interface DynamicLayout {
  dynamicOffset: number;
  dynamicSize: number;
  dynsymOffset: number;
  dynsymSize: number;
  dynstrOffset: number;
  dynstrSize: number;
  relDynOffset: number;
  relDynSize: number;
  /** End of the dynamic tables (end of the second PT_LOAD). */
  end: number;
  shstrtabOffset: number;
  shstrtabSize: number;
  sectionHeadersOffset: number;
}

export function alignUp(value: number, align: number): number {
  const a = Math.max(align, 1);
  return Math.ceil(value / a) * a;
}

function isReadOnlyByName(name: string): boolean {
  return name === ".data.rel.ro" || name.startsWith(".data.rel.ro.");
}

function symbolsIn(symbols: ElfSymbol[], sectionIndex: number): string[] {
  return symbols.filter((s) => s.shndx === sectionIndex && s.name && s.type !== STT_SECTION).map((s) => s.name);
}

function rejectWritable(obj: ObjectFile, section: Section): never {
  const names = symbolsIn(obj.symbols, section.index);
  const what = names.length ? names.map((n) => `\`${n}\``).join(", ") : "(no named symbol)";
  throw new LinkError(
    "SBF_LINK_WRITABLE_DATA",
    `writable static data is not supported by SBPFv0: ${what} in ${section.name} (${section.size} bytes). ` +
      `Make it a constant, or keep mutable state in an account.`,
  );
}

/** Places .text and .rodata input sections after the ELF and program headers. */
export function layoutCode(obj: ObjectFile): CodeLayout {
  const common = obj.symbols.find((s) => s.shndx === SHN_COMMON);
  if (common) {
    throw new LinkError(
      "SBF_LINK_WRITABLE_DATA",
      `writable static data is not supported by SBPFv0: \`${common.name}\` is a common (uninitialised global) symbol. ` +
        `Make it a constant, or keep mutable state in an account.`,
    );
  }
  const text: Section[] = [];
  const rodata: Section[] = [];
  for (const section of obj.sections) {
    if (!(section.flags & SHF_ALLOC) || section.size === 0) continue;
    if (section.flags & SHF_EXECINSTR) {
      if (section.type !== SHT_PROGBITS) rejectWritable(obj, section);
      text.push(section);
    } else if (section.type === SHT_NOBITS) {
      rejectWritable(obj, section);
    } else if (section.flags & SHF_WRITE) {
      if (!isReadOnlyByName(section.name)) rejectWritable(obj, section);
      rodata.push(section);
    } else if (section.type === SHT_PROGBITS) {
      rodata.push(section);
    } else {
      throw new LinkError(
        "SBF_LINK_UNSUPPORTED_SECTION",
        `allocated section ${section.name} (type ${section.type}) has no place in an SBPFv0 program`,
      );
    }
  }
  const placements = new Map<number, Placement>();
  const textOffset = alignUp(EHDR_SIZE + PROGRAM_HEADER_COUNT * PHDR_SIZE, 8);
  let cursor = textOffset;
  for (const section of text) {
    // Instructions are 8 bytes; calls and jumps address whole slots.
    cursor = alignUp(cursor, Math.max(section.align, 8));
    placements.set(section.index, { section, output: "text", address: cursor });
    cursor += section.size;
  }
  const textSize = cursor - textOffset;
  const rodataAlign = rodata.reduce((a, s) => Math.max(a, s.align), 8);
  const rodataOffset = alignUp(cursor, rodataAlign);
  cursor = rodataOffset;
  for (const section of rodata) {
    cursor = alignUp(cursor, section.align);
    placements.set(section.index, { section, output: "rodata", address: cursor });
    cursor += section.size;
  }
  const rodataSize = rodata.length ? cursor - rodataOffset : 0;
  return {
    placements,
    textOffset,
    textSize,
    rodataOffset,
    rodataSize,
    end: rodata.length ? cursor : textOffset + textSize,
  };
}

/** Names of the output sections, in section-header order (after the null section). */
export function outputSectionNames(hasRodata: boolean, hasRelocations: boolean): string[] {
  return [".text", ...(hasRodata ? [".rodata"] : []), ".dynamic", ".dynsym", ".dynstr", ...(hasRelocations ? [".rel.dyn"] : []), ".shstrtab"];
}

export function shstrtabSize(names: string[]): number {
  return 1 + names.reduce((sum, name) => sum + Buffer.byteLength(name) + 1, 0);
}

/** Number of `.dynamic` entries the writer emits (including DT_NULL). */
export function dynamicEntryCount(hasRelocations: boolean): number {
  // DT_SYMTAB, DT_SYMENT, DT_STRTAB, DT_STRSZ, DT_FLAGS, DT_NULL (+ DT_REL, DT_RELSZ, DT_RELENT)
  return 6 + (hasRelocations ? 3 : 0);
}

/** Places the dynamic tables after the code, then .shstrtab and the section header table. */
export function layoutDynamic(code: CodeLayout, syscallNames: string[], relocationCount: number): DynamicLayout {
  const hasRelocations = relocationCount > 0;
  const dynamicOffset = alignUp(code.end, 8);
  const dynamicSize = dynamicEntryCount(hasRelocations) * DYN_SIZE;
  const dynsymOffset = dynamicOffset + dynamicSize;
  const dynsymSize = (1 + syscallNames.length) * SYM_SIZE;
  const dynstrOffset = dynsymOffset + dynsymSize;
  const dynstrSize = 1 + syscallNames.reduce((sum, name) => sum + Buffer.byteLength(name) + 1, 0);
  const relDynOffset = alignUp(dynstrOffset + dynstrSize, 8);
  const relDynSize = relocationCount * REL_SIZE;
  const end = hasRelocations ? relDynOffset + relDynSize : dynstrOffset + dynstrSize;
  const shstrtabOffset = end;
  const size = shstrtabSize(outputSectionNames(code.rodataSize > 0, hasRelocations));
  return {
    dynamicOffset,
    dynamicSize,
    dynsymOffset,
    dynsymSize,
    dynstrOffset,
    dynstrSize,
    relDynOffset: hasRelocations ? relDynOffset : 0,
    relDynSize,
    end,
    shstrtabOffset,
    shstrtabSize: size,
    sectionHeadersOffset: alignUp(shstrtabOffset + size, 8),
  };
}
