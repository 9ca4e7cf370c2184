// BPFLoaderUpgradeable, the loader of deployed programs on every cluster: its instructions (bincode: a u32
// little-endian variant index, then the fields) and its account states. `solana program deploy` uses
// exactly these: a buffer filled by Write, then DeployWithMaxDataLen (first deploy) or Upgrade.
import {
  PublicKey,
  SYSVAR_CLOCK_PUBKEY,
  SYSVAR_RENT_PUBKEY,
  SystemProgram,
  TransactionInstruction,
} from "@solana/web3.js";

export const BPF_LOADER_UPGRADEABLE_PROGRAM_ID = new PublicKey("BPFLoaderUpgradeab1e11111111111111111111111");

/** UpgradeableLoaderState sizes, bytes: Buffer header, Program account, ProgramData header. */
export const BUFFER_METADATA_SIZE = 37;
export const PROGRAM_ACCOUNT_SIZE = 36;
export const PROGRAMDATA_METADATA_SIZE = 45;

const INITIALIZE_BUFFER = 0;
const WRITE = 1;
const DEPLOY_WITH_MAX_DATA_LEN = 2;
const UPGRADE = 3;
const EXTEND_PROGRAM = 6;

function tag(variant: number, extra = 0): Buffer {
  const data = Buffer.alloc(4 + extra);
  data.writeUInt32LE(variant, 0);
  return data;
}

export function initializeBufferIx(buffer: PublicKey, authority: PublicKey): TransactionInstruction {
  return new TransactionInstruction({
    programId: BPF_LOADER_UPGRADEABLE_PROGRAM_ID,
    keys: [
      { pubkey: buffer, isSigner: false, isWritable: true },
      { pubkey: authority, isSigner: false, isWritable: false },
    ],
    data: tag(INITIALIZE_BUFFER),
  });
}

/** Writes `bytes` at `offset` of the buffer's program area (after its 37-byte header). */
export function writeIx(buffer: PublicKey, authority: PublicKey, offset: number, bytes: Uint8Array): TransactionInstruction {
  const data = tag(WRITE, 12 + bytes.length);
  data.writeUInt32LE(offset, 4);
  data.writeBigUInt64LE(BigInt(bytes.length), 8);
  data.set(bytes, 16);
  return new TransactionInstruction({
    programId: BPF_LOADER_UPGRADEABLE_PROGRAM_ID,
    keys: [
      { pubkey: buffer, isSigner: false, isWritable: true },
      { pubkey: authority, isSigner: true, isWritable: false },
    ],
    data,
  });
}

export function deployWithMaxDataLenIx(
  payer: PublicKey,
  programData: PublicKey,
  program: PublicKey,
  buffer: PublicKey,
  authority: PublicKey,
  maxDataLen: number,
): TransactionInstruction {
  const data = tag(DEPLOY_WITH_MAX_DATA_LEN, 8);
  data.writeBigUInt64LE(BigInt(maxDataLen), 4);
  return new TransactionInstruction({
    programId: BPF_LOADER_UPGRADEABLE_PROGRAM_ID,
    keys: [
      { pubkey: payer, isSigner: true, isWritable: true },
      { pubkey: programData, isSigner: false, isWritable: true },
      { pubkey: program, isSigner: false, isWritable: true },
      { pubkey: buffer, isSigner: false, isWritable: true },
      { pubkey: SYSVAR_RENT_PUBKEY, isSigner: false, isWritable: false },
      { pubkey: SYSVAR_CLOCK_PUBKEY, isSigner: false, isWritable: false },
      { pubkey: SystemProgram.programId, isSigner: false, isWritable: false },
      { pubkey: authority, isSigner: true, isWritable: false },
    ],
    data,
  });
}

/** Replaces the program's code with the buffer's; the buffer's lamports go to `spill`. */
export function upgradeIx(programData: PublicKey, program: PublicKey, buffer: PublicKey, spill: PublicKey, authority: PublicKey): TransactionInstruction {
  return new TransactionInstruction({
    programId: BPF_LOADER_UPGRADEABLE_PROGRAM_ID,
    keys: [
      { pubkey: programData, isSigner: false, isWritable: true },
      { pubkey: program, isSigner: false, isWritable: true },
      { pubkey: buffer, isSigner: false, isWritable: true },
      { pubkey: spill, isSigner: false, isWritable: true },
      { pubkey: SYSVAR_RENT_PUBKEY, isSigner: false, isWritable: false },
      { pubkey: SYSVAR_CLOCK_PUBKEY, isSigner: false, isWritable: false },
      { pubkey: authority, isSigner: true, isWritable: false },
    ],
    data: tag(UPGRADE),
  });
}

/** Grows the ProgramData account by `additionalBytes`; `payer` funds the extra rent. */
export function extendProgramIx(programData: PublicKey, program: PublicKey, payer: PublicKey, additionalBytes: number): TransactionInstruction {
  const data = tag(EXTEND_PROGRAM, 4);
  data.writeUInt32LE(additionalBytes, 4);
  return new TransactionInstruction({
    programId: BPF_LOADER_UPGRADEABLE_PROGRAM_ID,
    keys: [
      { pubkey: programData, isSigner: false, isWritable: true },
      { pubkey: program, isSigner: false, isWritable: true },
      { pubkey: SystemProgram.programId, isSigner: false, isWritable: false },
      { pubkey: payer, isSigner: true, isWritable: true },
    ],
    data,
  });
}

/** The ProgramData account of an upgradeable program: the loader's PDA `[program_id]`. */
export function programDataAddress(programId: PublicKey): PublicKey {
  return PublicKey.findProgramAddressSync([programId.toBytes()], BPF_LOADER_UPGRADEABLE_PROGRAM_ID)[0];
}

function optionalAuthority(data: Uint8Array, offset: number): PublicKey | null {
  return data[offset] === 1 ? new PublicKey(data.subarray(offset + 1, offset + 33)) : null;
}

function variant(data: Uint8Array): number {
  return data.length >= 4 ? Buffer.from(data.buffer, data.byteOffset, 4).readUInt32LE(0) : -1;
}

/** A Program account's ProgramData address, or null when `data` is not a Program account. */
export function readProgramAccount(data: Uint8Array): PublicKey | null {
  return data.length >= PROGRAM_ACCOUNT_SIZE && variant(data) === 2 ? new PublicKey(data.subarray(4, 36)) : null;
}

export interface ProgramDataState {
  /** Slot of the last deploy or upgrade. */
  slot: bigint;
  /** Upgrade authority; null when the program is immutable. */
  authority: PublicKey | null;
  /** The program area (code followed by zero padding up to the max data length). */
  code: Uint8Array;
}

export function readProgramData(data: Uint8Array): ProgramDataState | null {
  if (data.length < PROGRAMDATA_METADATA_SIZE || variant(data) !== 3) return null;
  return {
    slot: Buffer.from(data.buffer, data.byteOffset, data.byteLength).readBigUInt64LE(4),
    authority: optionalAuthority(data, 12),
    code: data.subarray(PROGRAMDATA_METADATA_SIZE),
  };
}

export interface BufferState {
  authority: PublicKey | null;
  /** The program area. */
  code: Uint8Array;
}

export function readBuffer(data: Uint8Array): BufferState | null {
  if (data.length < BUFFER_METADATA_SIZE || variant(data) !== 1) return null;
  return { authority: optionalAuthority(data, 4), code: data.subarray(BUFFER_METADATA_SIZE) };
}

/** Whether a program area holds exactly `elf` (followed only by zero padding). */
export function holdsElf(code: Uint8Array, elf: Uint8Array): boolean {
  if (code.length < elf.length) return false;
  if (Buffer.compare(Buffer.from(code.subarray(0, elf.length)), Buffer.from(elf)) !== 0) return false;
  for (let i = elf.length; i < code.length; i++) if (code[i] !== 0) return false;
  return true;
}
