// Deploying (or upgrading) a program through BPFLoaderUpgradeable, idempotently:
// - no program at the address: buffer + Writes + DeployWithMaxDataLen (max length twice the code, so
//   later upgrades fit without extending);
// - the program holds exactly this .so: nothing is sent;
// - the program holds other code: buffer + Writes + Upgrade (ExtendProgram first if the code grew beyond
//   the ProgramData account), unless upgrades are turned off.
// The buffer's keypair is derived from the payer's key and the .so's hash, so an interrupted run resumes
// the same buffer and writes only the chunks that are not there yet.
import { createHash } from "node:crypto";
import {
  Keypair,
  PACKET_DATA_SIZE,
  PublicKey,
  SystemProgram,
  TransactionMessage,
  VersionedTransaction,
  type Connection,
} from "@solana/web3.js";
import {
  BPF_LOADER_UPGRADEABLE_PROGRAM_ID,
  BUFFER_METADATA_SIZE,
  PROGRAM_ACCOUNT_SIZE,
  PROGRAMDATA_METADATA_SIZE,
  deployWithMaxDataLenIx,
  extendProgramIx,
  holdsElf,
  initializeBufferIx,
  programDataAddress,
  readBuffer,
  readProgramAccount,
  readProgramData,
  upgradeIx,
  writeIx,
} from "./loader";
import { sendAll, sendOne, type PlannedTransaction, type SendOptions } from "./sender";

/** Smallest ExtendProgram the loader accepts, bytes. */
const MIN_EXTEND_BYTES = 10_240;

export type ProgramAction = "deployed" | "upgraded" | "unchanged" | "differs";

export interface ProgramDeployment {
  action: ProgramAction;
  programId: PublicKey;
  programData: PublicKey;
  /** Write transactions sent (0 when nothing was written). */
  writeTransactions: number;
  /** Transactions sent in all. */
  transactions: number;
}

export interface DeployProgramOptions extends SendOptions {
  /** Upgrade when the deployed code differs from the .so; default true. */
  upgrade?: boolean;
  /** ProgramData capacity for a first deploy, bytes; default twice the .so. */
  maxDataLen?: number;
}

export class DeployError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DeployError";
  }
}

/** The deterministic buffer keypair for (payer, .so). */
export function bufferKeypair(payer: Keypair, elf: Uint8Array): Keypair {
  const elfHash = createHash("sha256").update(elf).digest();
  return Keypair.fromSeed(createHash("sha256").update("prepaid-billing deploy buffer").update(payer.secretKey.subarray(0, 32)).update(elfHash).digest());
}

/** Program bytes per Write so that the transaction (v0, payer = authority) fills one packet. */
export function writeChunkSize(payer: PublicKey, buffer: PublicKey): number {
  const tx = (bytes: Uint8Array) =>
    new VersionedTransaction(
      new TransactionMessage({ payerKey: payer, recentBlockhash: PublicKey.default.toBase58(), instructions: [writeIx(buffer, payer, 0, bytes)] }).compileToV0Message(),
    ).serialize().length;
  // The instruction-data length prefix grows from 1 to 2 bytes past 127 bytes, hence the -1.
  const chunk = PACKET_DATA_SIZE - tx(new Uint8Array(0)) - 1;
  if (tx(new Uint8Array(chunk)) > PACKET_DATA_SIZE) throw new Error("write transaction exceeds the packet size");
  return chunk;
}

async function accountData(connection: Connection, address: PublicKey): Promise<{ data: Uint8Array; owner: PublicKey; lamports: number } | null> {
  const info = await connection.getAccountInfo(address, "confirmed");
  return info ? { data: Uint8Array.from(info.data), owner: info.owner, lamports: info.lamports } : null;
}

/** Creates (or resumes) the buffer and writes `elf` into it; returns how many Write transactions it took. */
async function fillBuffer(connection: Connection, payer: Keypair, buffer: Keypair, elf: Uint8Array, options: SendOptions): Promise<{ writes: number; transactions: number }> {
  let transactions = 0;
  const size = BUFFER_METADATA_SIZE + elf.length;
  let existing = await accountData(connection, buffer.publicKey);
  if (existing) {
    const state = existing.owner.equals(BPF_LOADER_UPGRADEABLE_PROGRAM_ID) ? readBuffer(existing.data) : null;
    if (!state || !state.authority?.equals(payer.publicKey) || existing.data.length !== size) {
      throw new DeployError(`buffer ${buffer.publicKey.toBase58()} exists but is not this deploy's buffer`);
    }
    options.log?.(`resuming buffer ${buffer.publicKey.toBase58()}`);
  } else {
    const lamports = await connection.getMinimumBalanceForRentExemption(size, "confirmed");
    await sendOne(
      connection,
      {
        label: "create buffer",
        signers: [payer, buffer],
        instructions: [
          SystemProgram.createAccount({ fromPubkey: payer.publicKey, newAccountPubkey: buffer.publicKey, lamports, space: size, programId: BPF_LOADER_UPGRADEABLE_PROGRAM_ID }),
          initializeBufferIx(buffer.publicKey, payer.publicKey),
        ],
      },
      options,
    );
    transactions++;
    existing = await accountData(connection, buffer.publicKey);
    if (!existing) throw new DeployError("the buffer account was not created");
  }
  const current = existing.data.subarray(BUFFER_METADATA_SIZE);
  const chunk = writeChunkSize(payer.publicKey, buffer.publicKey);
  const plans: PlannedTransaction[] = [];
  const total = Math.ceil(elf.length / chunk);
  for (let offset = 0, n = 1; offset < elf.length; offset += chunk, n++) {
    const bytes = elf.subarray(offset, offset + chunk);
    // A resumed buffer already holds some chunks: write only those that differ.
    if (Buffer.compare(Buffer.from(current.subarray(offset, offset + bytes.length)), Buffer.from(bytes)) === 0) continue;
    plans.push({ label: `write ${n}/${total}`, signers: [payer], instructions: [writeIx(buffer.publicKey, payer.publicKey, offset, bytes)] });
  }
  if (plans.length) {
    options.log?.(`writing ${elf.length} bytes in ${plans.length} transaction(s) of up to ${chunk} bytes`);
    await sendAll(connection, plans, options);
  }
  const written = await accountData(connection, buffer.publicKey);
  const state = written ? readBuffer(written.data) : null;
  if (!state || !holdsElf(state.code, elf)) throw new DeployError("the buffer does not hold the program after writing");
  return { writes: plans.length, transactions: transactions + plans.length };
}

/** Waits until the chain is past `slot` (a deployed or upgraded program runs from the next slot on). */
async function waitForSlotAfter(connection: Connection, slot: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await connection.getSlot("confirmed")) <= slot) {
    if (Date.now() > deadline) throw new DeployError(`the chain did not pass slot ${slot} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Makes the program at `programKeypair`'s address hold `elf`, with `payer` paying and as upgrade
 * authority. Idempotent: nothing is sent when it already does.
 */
export async function deployProgram(
  connection: Connection,
  payer: Keypair,
  programKeypair: Keypair,
  elf: Uint8Array,
  options: DeployProgramOptions = {},
): Promise<ProgramDeployment> {
  const programId = programKeypair.publicKey;
  const programData = programDataAddress(programId);
  const result = (action: ProgramAction, writeTransactions = 0, transactions = 0): ProgramDeployment => ({ action, programId, programData, writeTransactions, transactions });

  const program = await accountData(connection, programId);
  if (program) {
    if (!program.owner.equals(BPF_LOADER_UPGRADEABLE_PROGRAM_ID) || !readProgramAccount(program.data)?.equals(programData)) {
      throw new DeployError(`${programId.toBase58()} exists but is not a program of BPFLoaderUpgradeable`);
    }
    const dataAccount = await accountData(connection, programData);
    const state = dataAccount ? readProgramData(dataAccount.data) : null;
    if (!state) throw new DeployError(`program data ${programData.toBase58()} is missing or not ProgramData`);
    if (holdsElf(state.code, elf)) return result("unchanged");
    if (options.upgrade === false) return result("differs");
    if (!state.authority) throw new DeployError(`${programId.toBase58()} is immutable and holds other code`);
    if (!state.authority.equals(payer.publicKey)) {
      throw new DeployError(`${programId.toBase58()} holds other code and its upgrade authority is ${state.authority.toBase58()}, not ${payer.publicKey.toBase58()}`);
    }
    const buffer = bufferKeypair(payer, elf);
    const filled = await fillBuffer(connection, payer, buffer, elf, options);
    let extendTransactions = 0;
    if (state.code.length < elf.length) {
      // The loader extends by at least 10 KiB at a time (unless that reaches its 10 MiB maximum), and an
      // extended program counts as redeployed in that slot: the upgrade has to wait for the next one.
      const extra = Math.max(elf.length - state.code.length, MIN_EXTEND_BYTES);
      options.log?.(`extending program data by ${extra} bytes`);
      const extended = await sendOne(connection, { label: "extend program", signers: [payer], instructions: [extendProgramIx(programData, programId, payer.publicKey, extra)] }, options);
      const landedExtend = await connection.getTransaction(extended, { commitment: "confirmed", maxSupportedTransactionVersion: 0 });
      await waitForSlotAfter(connection, landedExtend?.slot ?? (await connection.getSlot("confirmed")));
      extendTransactions = 1;
    }
    const instructions = [upgradeIx(programData, programId, buffer.publicKey, payer.publicKey, payer.publicKey)];
    const signature = await sendOne(connection, { label: "upgrade", signers: [payer], instructions }, options);
    const landed = await connection.getTransaction(signature, { commitment: "confirmed", maxSupportedTransactionVersion: 0 });
    await waitForSlotAfter(connection, landed?.slot ?? (await connection.getSlot("confirmed")));
    return result("upgraded", filled.writes, filled.transactions + extendTransactions + 1);
  }

  const maxDataLen = options.maxDataLen ?? 2 * elf.length;
  if (maxDataLen < elf.length) throw new DeployError(`maxDataLen ${maxDataLen} is smaller than the program (${elf.length} bytes)`);
  const buffer = bufferKeypair(payer, elf);
  const filled = await fillBuffer(connection, payer, buffer, elf, options);
  const lamports = await connection.getMinimumBalanceForRentExemption(PROGRAM_ACCOUNT_SIZE, "confirmed");
  options.log?.(`deploying ${programId.toBase58()} (program data capacity ${maxDataLen} bytes, ${PROGRAMDATA_METADATA_SIZE + maxDataLen} with header)`);
  const signature = await sendOne(
    connection,
    {
      label: "deploy",
      signers: [payer, programKeypair],
      instructions: [
        SystemProgram.createAccount({ fromPubkey: payer.publicKey, newAccountPubkey: programId, lamports, space: PROGRAM_ACCOUNT_SIZE, programId: BPF_LOADER_UPGRADEABLE_PROGRAM_ID }),
        deployWithMaxDataLenIx(payer.publicKey, programData, programId, buffer.publicKey, payer.publicKey, maxDataLen),
      ],
    },
    options,
  );
  const landed = await connection.getTransaction(signature, { commitment: "confirmed", maxSupportedTransactionVersion: 0 });
  await waitForSlotAfter(connection, landed?.slot ?? (await connection.getSlot("confirmed")));
  return result("deployed", filled.writes, filled.transactions + 1);
}
