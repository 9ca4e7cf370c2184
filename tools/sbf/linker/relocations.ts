// Resolves the object's relocations against the final layout. Because SBPFv0 maps the image at
// MM_PROGRAM_START + file offset, every address is known at link time: lddw immediates and pointers in
// read-only data get absolute addresses, internal calls get pc-relative immediates, and only syscalls
// are left to the loader (`call -1` + an R_BPF_64_32 dynamic relocation naming the syscall).
import type { ElfSymbol, ObjectFile } from "./elf-reader";
import {
  INSN_SIZE,
  MM_PROGRAM_START,
  OP_CALL,
  OP_LDDW,
  RELOCATION_NAMES,
  R_BPF_64_32,
  R_BPF_64_64,
  R_BPF_64_ABS32,
  R_BPF_64_ABS64,
  R_BPF_NONE,
  SHF_ALLOC,
  SHN_ABS,
  SHN_UNDEF,
  STT_SECTION,
} from "./elf";
import { LinkError } from "./errors";
import type { CodeLayout } from "./layout";
import { KNOWN_SYSCALLS, REPLACEMENTS } from "./syscalls";

export interface SyscallSite {
  /** File offset (= SBPFv0 address) of the `call` instruction. */
  offset: number;
  name: string;
}

export interface RelocationResult {
  /** Every call to a syscall, in address order. */
  syscallSites: SyscallSite[];
  /** How many relocations of each kind were resolved (for the build report and tests). */
  counts: Record<string, number>;
}

/** A resolved symbol: its address in the image, or a syscall name when it is undefined. */
type Target =
  | { kind: "address"; address: bigint; absolute: boolean; output: "text" | "rodata" | "abs" }
  | { kind: "undefined"; name: string };

const U32_MAX = 0xffff_ffffn;
const U64_MASK = 0xffff_ffff_ffff_ffffn;

/** lddw: the 64-bit value's low half goes to the first slot's immediate, the high half to the second's. */
export function writeLddw(image: Buffer, at: number, value: bigint): void {
  image.writeUInt32LE(Number(value & U32_MAX), at + 4);
  image.writeUInt32LE(Number((value >> 32n) & U32_MAX), at + INSN_SIZE + 4);
}

/** Immediate of a pc-relative call at `callAddress` to `targetAddress` (both byte addresses). */
export function callImmediate(callAddress: number, targetAddress: number): number {
  return (targetAddress - callAddress) / INSN_SIZE - 1;
}

/** Byte target of an R_BPF_64_32 call: the symbol plus the implicit addend (imm + 1) * 8. */
export function callTarget(symbolAddress: number, imm: number): number {
  return symbolAddress + (imm + 1) * INSN_SIZE;
}

function symbolLabel(symbol: ElfSymbol, obj: ObjectFile): string {
  if (symbol.type === STT_SECTION) return `section ${obj.sections[symbol.shndx]?.name ?? symbol.shndx}`;
  return symbol.name ? `\`${symbol.name}\`` : `symbol #${symbol.index}`;
}

function resolve(symbol: ElfSymbol, obj: ObjectFile, layout: CodeLayout, where: string): Target {
  if (symbol.shndx === SHN_UNDEF) return { kind: "undefined", name: symbol.name };
  if (symbol.shndx === SHN_ABS) return { kind: "address", address: symbol.value, absolute: true, output: "abs" };
  const placement = layout.placements.get(symbol.shndx);
  if (!placement) {
    const section = obj.sections[symbol.shndx];
    throw new LinkError(
      "SBF_LINK_BAD_RELOCATION",
      `${where}: refers to ${symbolLabel(symbol, obj)} in ${section ? section.name : `section ${symbol.shndx}`}, which is not loaded`,
    );
  }
  return {
    kind: "address",
    address: BigInt(placement.address) + symbol.value,
    absolute: false,
    output: placement.output,
  };
}

/** Absolute VM address: image addresses are offset by MM_PROGRAM_START, SHN_ABS values are not. */
function vmAddress(target: { address: bigint; absolute: boolean }, addend: bigint): bigint {
  return ((target.absolute ? 0n : MM_PROGRAM_START) + target.address + addend) & U64_MASK;
}

/**
 * Applies every relocation of every loaded section to `image` (which already holds the section
 * contents at their final offsets). Relocations of unloaded sections (debug info, BTF) are ignored.
 */
export function applyRelocations(
  obj: ObjectFile,
  layout: CodeLayout,
  image: Buffer,
  options: { extraSyscalls?: Iterable<string> } = {},
): RelocationResult {
  const syscalls = new Set([...KNOWN_SYSCALLS, ...(options.extraSyscalls ?? [])]);
  const counts: Record<string, number> = {};
  const syscallSites: SyscallSite[] = [];
  for (const relSection of obj.relocationSections) {
    const placement = layout.placements.get(relSection.target);
    const targetSection = obj.sections[relSection.target];
    if (!placement) {
      if (targetSection.flags & SHF_ALLOC && targetSection.size > 0) {
        throw new LinkError("SBF_LINK_BAD_RELOCATION", `${relSection.section.name} relocates ${targetSection.name}, which is not loaded`);
      }
      continue;
    }
    for (const rel of relSection.relocations) {
      const symbol = obj.symbols[rel.symbol];
      const where = `${targetSection.name}+0x${rel.offset.toString(16)}`;
      const kind = RELOCATION_NAMES[rel.type];
      if (rel.offset < 0 || rel.offset >= targetSection.size) {
        throw new LinkError("SBF_LINK_BAD_RELOCATION", `${where}: relocation offset outside ${targetSection.name}`);
      }
      const at = placement.address + rel.offset;
      const need = (bytes: number) => {
        if (rel.offset + bytes > targetSection.size) {
          throw new LinkError("SBF_LINK_BAD_RELOCATION", `${where}: ${kind} needs ${bytes} bytes but ${targetSection.name} ends first`);
        }
      };
      const inText = (what: string) => {
        if (placement.output !== "text") {
          throw new LinkError("SBF_LINK_BAD_RELOCATION", `${where}: ${kind} (${what}) found outside code`);
        }
      };
      switch (rel.type) {
        case R_BPF_NONE:
          break;
        case R_BPF_64_64: {
          inText("lddw");
          need(2 * INSN_SIZE);
          if (image[at] !== OP_LDDW) {
            throw new LinkError("SBF_LINK_BAD_RELOCATION", `${where}: R_BPF_64_64 on opcode 0x${image[at].toString(16)}, expected lddw (0x18)`);
          }
          const target = resolve(symbol, obj, layout, where);
          if (target.kind === "undefined") {
            throw new LinkError("SBF_LINK_UNDEFINED_SYMBOL", `${where}: lddw of undefined symbol \`${target.name}\``);
          }
          writeLddw(image, at, vmAddress(target, BigInt(image.readUInt32LE(at + 4))));
          break;
        }
        case R_BPF_64_ABS64: {
          need(8);
          const target = resolve(symbol, obj, layout, where);
          if (target.kind === "undefined") {
            throw new LinkError("SBF_LINK_UNDEFINED_SYMBOL", `${where}: pointer to undefined symbol \`${target.name}\``);
          }
          image.writeBigUInt64LE(vmAddress(target, image.readBigUInt64LE(at)), at);
          break;
        }
        case R_BPF_64_ABS32: {
          need(4);
          const target = resolve(symbol, obj, layout, where);
          if (target.kind === "undefined") {
            throw new LinkError("SBF_LINK_UNDEFINED_SYMBOL", `${where}: 32-bit reference to undefined symbol \`${target.name}\``);
          }
          const value = vmAddress(target, BigInt(image.readUInt32LE(at)));
          if (value > U32_MAX) {
            throw new LinkError(
              "SBF_LINK_VALUE_RANGE",
              `${where}: the address of ${symbolLabel(symbol, obj)} (0x${value.toString(16)}) does not fit the 32 bits of R_BPF_64_ABS32; use a 64-bit pointer`,
            );
          }
          image.writeUInt32LE(Number(value), at);
          break;
        }
        case R_BPF_64_32: {
          inText("call");
          need(INSN_SIZE);
          if (image[at] !== OP_CALL) {
            throw new LinkError("SBF_LINK_BAD_RELOCATION", `${where}: R_BPF_64_32 on opcode 0x${image[at].toString(16)}, expected call (0x85)`);
          }
          const target = resolve(symbol, obj, layout, where);
          if (target.kind === "undefined") {
            if (!syscalls.has(target.name)) {
              const instead = REPLACEMENTS[target.name] ?? "define the function, or call the runtime's syscall that does the job";
              throw new LinkError(
                "SBF_LINK_UNKNOWN_SYSCALL",
                `${where}: call to undefined symbol \`${target.name}\`, which is not a Solana syscall: ${instead}`,
              );
            }
            // The loader writes the syscall's hash over this immediate; -1 marks "not pc-relative".
            image.writeInt32LE(-1, at + 4);
            syscallSites.push({ offset: at, name: target.name });
          } else {
            if (target.output !== "text") {
              throw new LinkError("SBF_LINK_BAD_RELOCATION", `${where}: call to ${symbolLabel(symbol, obj)}, which is not code`);
            }
            const destination = callTarget(Number(target.address), image.readInt32LE(at + 4));
            const textEnd = layout.textOffset + layout.textSize;
            if (destination < layout.textOffset || destination >= textEnd || (destination - layout.textOffset) % INSN_SIZE !== 0) {
              throw new LinkError("SBF_LINK_BAD_RELOCATION", `${where}: call to ${symbolLabel(symbol, obj)} lands outside the code`);
            }
            // src = 1 marks a BPF-to-BPF (pc-relative) call.
            image[at + 1] = (image[at + 1] & 0x0f) | 0x10;
            image.writeInt32LE(callImmediate(at, destination), at + 4);
          }
          break;
        }
        default:
          throw new LinkError(
            "SBF_LINK_UNKNOWN_RELOCATION",
            `${where}: unsupported relocation ${kind ?? `type ${rel.type}`} against ${symbolLabel(symbol, obj)}`,
          );
      }
      const label = kind ?? `type ${rel.type}`;
      counts[label] = (counts[label] ?? 0) + 1;
    }
  }
  syscallSites.sort((a, b) => a.offset - b.offset);
  return { syscallSites, counts };
}
