// Checks every instruction of the linked code against what SBPFv0 executes the way LLVM meant it,
// and rewrites `callx` into the SBPFv0 encoding. Rejected (each is a silent miscompile or a load
// failure otherwise):
//   - 32-bit ALU ops: SBPFv0 sign-extends their result, LLVM expects zero-extension;
//   - JMP32 (class 0x06), atomics, legacy packet loads (LD_ABS/LD_IND);
//   - cpu-v4 instructions: sdiv/smod (off = 1), movsx (mov with off ≠ 0), sign-extending loads
//     (LDX mode 0x80), bswap (ALU64 END);
//   - any opcode SBPFv0 does not know, and an lddw missing its second slot.
// `callx`: LLVM encodes the register in dst; SBPFv0 reads it from the immediate.
import { INSN_SIZE, OP_CALLX, OP_LDDW } from "./elf";
import { LinkError } from "./errors";

export interface FunctionSymbol {
  name: string;
  /** Byte address (file offset) of the first instruction. */
  address: number;
  size: number;
}

export interface ValidationResult {
  instructions: number;
  callxFixups: number;
}

const CLASS_LD = 0x00;
const CLASS_LDX = 0x01;
const CLASS_ST = 0x02;
const CLASS_STX = 0x03;
const CLASS_ALU32 = 0x04;
const CLASS_JMP = 0x05;
const CLASS_JMP32 = 0x06;
const CLASS_ALU64 = 0x07;

const MODE_MEM = 0x60;
const MODE_MEMSX = 0x80;
const MODE_ATOMIC = 0xc0;

const ALU_NAMES = ["add", "sub", "mul", "div", "or", "and", "lsh", "rsh", "neg", "mod", "xor", "mov", "arsh", "end"];
const ALU_DIV = 0x30;
const ALU_MOD = 0x90;
const ALU_MOV = 0xb0;
const ALU_END = 0xd0;
const ALU_NEG = 0x80;

// JMP class operations SBPFv0 implements (code in the high nibble).
const JMP_OPS = new Set([0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0]);
const OP_EXIT = 0x95;
const OP_CALL = 0x85;

function describe(functions: FunctionSymbol[], address: number, textOffset: number): string {
  const fn = functions.find((f) => address >= f.address && address < f.address + Math.max(f.size, INSN_SIZE));
  const where = fn ? `in \`${fn.name}\`+0x${(address - fn.address).toString(16)}` : "outside any named function";
  return `instruction ${(address - textOffset) / INSN_SIZE} ${where} (text offset 0x${(address - textOffset).toString(16)})`;
}

/** Validates (and fixes up `callx` in) the instructions in `image[textOffset, textOffset + textSize)`. */
export function validateText(image: Buffer, textOffset: number, textSize: number, functions: FunctionSymbol[]): ValidationResult {
  if (textSize % INSN_SIZE !== 0) {
    throw new LinkError("SBF_LINK_UNSUPPORTED_INSTRUCTION", `code size ${textSize} is not a multiple of ${INSN_SIZE} bytes`);
  }
  const end = textOffset + textSize;
  let instructions = 0;
  let callxFixups = 0;
  const reject = (at: number, what: string): never => {
    throw new LinkError(
      "SBF_LINK_UNSUPPORTED_INSTRUCTION",
      `${describe(functions, at, textOffset)}: ${what} (opcode 0x${image[at].toString(16).padStart(2, "0")}) is not supported by SBPFv0`,
    );
  };
  for (let at = textOffset; at < end; at += INSN_SIZE) {
    instructions++;
    const op = image[at];
    const regs = image[at + 1];
    const off = image.readInt16LE(at + 2);
    const cls = op & 0x07;
    switch (cls) {
      case CLASS_LD:
        if (op !== OP_LDDW) reject(at, "legacy packet load (LD_ABS/LD_IND)");
        if (at + 2 * INSN_SIZE > end) reject(at, "lddw without its second slot");
        if (image[at + INSN_SIZE] !== 0 || image[at + INSN_SIZE + 1] !== 0 || image.readInt16LE(at + INSN_SIZE + 2) !== 0) {
          reject(at, "lddw whose second slot is not empty");
        }
        at += INSN_SIZE;
        break;
      case CLASS_LDX:
        if ((op & 0xe0) === MODE_MEMSX) reject(at, "sign-extending load (cpu v4)");
        if ((op & 0xe0) !== MODE_MEM) reject(at, "load with an unknown addressing mode");
        break;
      case CLASS_ST:
        if ((op & 0xe0) !== MODE_MEM) reject(at, "store with an unknown addressing mode");
        break;
      case CLASS_STX:
        if ((op & 0xe0) === MODE_ATOMIC) reject(at, "atomic operation");
        if ((op & 0xe0) !== MODE_MEM) reject(at, "store with an unknown addressing mode");
        break;
      case CLASS_ALU32: {
        const code = op & 0xf0;
        // le/be byte swaps (0xd4/0xdc) live in the ALU class and behave the same in SBPFv0.
        if (code === ALU_END) break;
        const name = ALU_NAMES[code >> 4] ?? "unknown";
        reject(at, `32-bit ALU operation \`${name}32\` (SBPFv0 sign-extends its result; compile for -mcpu=v2 without alu32)`);
        break;
      }
      case CLASS_JMP: {
        if (op === OP_CALL || op === OP_EXIT) break;
        if (op === OP_CALLX) {
          const dst = regs & 0x0f;
          if (dst !== 0) {
            image.writeInt32LE(dst, at + 4);
            image[at + 1] = 0;
            callxFixups++;
          }
          const reg = image.readInt32LE(at + 4);
          if (reg < 0 || reg > 9) reject(at, `callx through register r${reg}`);
          break;
        }
        if (!JMP_OPS.has(op & 0xf0)) reject(at, "unknown jump");
        if ((op & 0xf0) === 0x00 && op !== 0x05) reject(at, "unknown jump");
        break;
      }
      case CLASS_JMP32:
        reject(at, "JMP32-class jump (32-bit compare or gotol, cpu v3+)");
        break;
      case CLASS_ALU64: {
        const code = op & 0xf0;
        if (code === ALU_END) reject(at, "64-bit byte swap `bswap` (cpu v4)");
        if (code > ALU_END) reject(at, "unknown ALU operation");
        if ((code === ALU_DIV || code === ALU_MOD) && off !== 0) reject(at, `signed ${code === ALU_DIV ? "sdiv" : "smod"} (cpu v4)`);
        if (code === ALU_MOV && off !== 0) reject(at, "sign-extending move `movsx` (cpu v4)");
        if (code === ALU_NEG && (op & 0x08) !== 0) reject(at, "neg with a register source");
        break;
      }
    }
  }
  return { instructions, callxFixups };
}
