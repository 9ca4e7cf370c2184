// ELF64 and eBPF constants used by the linker (values from the ELF gABI and LLVM's BPF backend).

export const ELFCLASS64 = 2;
export const ELFDATA2LSB = 1;
export const EV_CURRENT = 1;
export const ELFOSABI_NONE = 0;

export const ET_REL = 1;
export const ET_DYN = 3;
export const EM_BPF = 247;

export const EHDR_SIZE = 64;
export const PHDR_SIZE = 56;
export const SHDR_SIZE = 64;
export const SYM_SIZE = 24;
export const REL_SIZE = 16;
export const RELA_SIZE = 24;
export const DYN_SIZE = 16;

export const SHN_UNDEF = 0;
export const SHN_ABS = 0xfff1;
export const SHN_COMMON = 0xfff2;
export const SHN_LORESERVE = 0xff00;

export const SHT_NULL = 0;
export const SHT_PROGBITS = 1;
export const SHT_SYMTAB = 2;
export const SHT_STRTAB = 3;
export const SHT_RELA = 4;
export const SHT_DYNAMIC = 6;
export const SHT_NOBITS = 8;
export const SHT_REL = 9;
export const SHT_DYNSYM = 11;

export const SHF_WRITE = 0x1;
export const SHF_ALLOC = 0x2;
export const SHF_EXECINSTR = 0x4;

export const STB_LOCAL = 0;
export const STB_GLOBAL = 1;
export const STB_WEAK = 2;
export const STT_NOTYPE = 0;
export const STT_OBJECT = 1;
export const STT_FUNC = 2;
export const STT_SECTION = 3;

export const PT_LOAD = 1;
export const PT_DYNAMIC = 2;
export const PF_X = 1;
export const PF_W = 2;
export const PF_R = 4;

export const DT_NULL = 0;
export const DT_STRTAB = 5;
export const DT_SYMTAB = 6;
export const DT_STRSZ = 10;
export const DT_SYMENT = 11;
export const DT_REL = 17;
export const DT_RELSZ = 18;
export const DT_RELENT = 19;
export const DT_FLAGS = 30;
export const DF_TEXTREL = 0x4;

/** BPF relocation types (llvm/include/llvm/BinaryFormat/ELFRelocs/BPF.def). */
export const R_BPF_NONE = 0;
/** lddw: 64-bit address split over the two immediates; implicit addend = first immediate (u32). */
export const R_BPF_64_64 = 1;
/** 64-bit data word; implicit addend = the word. */
export const R_BPF_64_ABS64 = 2;
/** 32-bit data word; implicit addend = the word. */
export const R_BPF_64_ABS32 = 3;
/** 32-bit data word in .BTF/.BTF.ext; never in loaded sections. */
export const R_BPF_64_NODYLD32 = 4;
/** call: implicit addend = (imm + 1) * 8 bytes from the symbol; also what the loader hashes for syscalls. */
export const R_BPF_64_32 = 10;

export const RELOCATION_NAMES: Record<number, string> = {
  [R_BPF_NONE]: "R_BPF_NONE",
  [R_BPF_64_64]: "R_BPF_64_64",
  [R_BPF_64_ABS64]: "R_BPF_64_ABS64",
  [R_BPF_64_ABS32]: "R_BPF_64_ABS32",
  [R_BPF_64_NODYLD32]: "R_BPF_64_NODYLD32",
  [R_BPF_64_32]: "R_BPF_64_32",
};

/** The SBPF virtual machine maps the program image at this address (+ file offset, for SBPFv0). */
export const MM_PROGRAM_START = 0x1_0000_0000n;

/** Every eBPF instruction slot is 8 bytes; lddw takes two. */
export const INSN_SIZE = 8;

export const OP_LDDW = 0x18;
export const OP_CALL = 0x85;
export const OP_CALLX = 0x8d;
