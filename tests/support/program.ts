// Putting the prepaid_billing program into the SVM: directly (litesvm writes the executable account), or
// through the real BPFLoaderUpgradeable instructions a cluster deploy uses (InitializeBuffer, Write in
// chunks, DeployWithMaxDataLen), which also gives the program an upgrade authority and a ProgramData account.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import {
  Keypair,
  PACKET_DATA_SIZE,
  PublicKey,
  SystemProgram,
  Transaction,
  TransactionMessage,
  VersionedTransaction,
} from "@solana/web3.js";
import type { Address } from "@solana/kit";
import { PROGRAM_ID } from "../../sdk/src";
import type { LiteSvmProvider } from "./litesvm-provider";
import {
  BPF_LOADER_UPGRADEABLE_PROGRAM_ID,
  BUFFER_METADATA_SIZE,
  PROGRAM_ACCOUNT_SIZE,
  deployWithMaxDataLenIx,
  initializeBufferIx,
  programDataAddress,
  writeIx,
} from "../../migrations/loader";

export const repoRoot = path.resolve(__dirname, "..", "..");
/** Where `npm run build:program` writes the program. */
export const PROGRAM_SO_PATH = path.join(repoRoot, "target", "deploy", "prepaid_billing.so");
/** The program id's keypair (its public key is the IDL's address), needed to deploy at that address. */
export const PROGRAM_KEYPAIR_PATH = path.join(repoRoot, "programs", "prepaid_billing", "keys", "program-keypair.json");

/** The program's .so, building it with `npm run build:program` first when it is missing. */
export function ensureProgramBuilt(soPath: string = PROGRAM_SO_PATH): string {
  if (fs.existsSync(soPath)) return soPath;
  const result = spawnSync("npm", ["run", "-s", "build:program"], { cwd: repoRoot, stdio: "inherit", timeout: 30 * 60_000 });
  if (result.error) throw result.error;
  if (result.status !== 0 || !fs.existsSync(soPath)) {
    throw new Error(`npm run build:program failed (exit ${result.status ?? result.signal}); ${soPath} is missing`);
  }
  return soPath;
}

/** True when the program has been built (tests that need it can skip with a reason otherwise). */
export function programIsBuilt(soPath: string = PROGRAM_SO_PATH): boolean {
  return fs.existsSync(soPath);
}

export function programKeypair(): Keypair {
  const secret = JSON.parse(fs.readFileSync(PROGRAM_KEYPAIR_PATH, "utf8")) as number[];
  return Keypair.fromSecretKey(Uint8Array.from(secret));
}

/** Loads the program directly as an executable account at `programId` (default the IDL's address). */
export function loadProgram(provider: LiteSvmProvider, options: { programId?: PublicKey; soPath?: string } = {}): PublicKey {
  const programId = options.programId ?? PROGRAM_ID;
  provider.svm.addProgramFromFile(programId.toBase58() as Address, ensureProgramBuilt(options.soPath));
  return programId;
}

// The loader's instructions and layouts are the deploy script's (migrations/loader.ts): one implementation.
export {
  BPF_LOADER_UPGRADEABLE_PROGRAM_ID,
  BUFFER_METADATA_SIZE,
  PROGRAM_ACCOUNT_SIZE,
  PROGRAMDATA_METADATA_SIZE,
  programDataAddress,
} from "../../migrations/loader";

export interface UpgradeableDeployment {
  programId: PublicKey;
  programData: PublicKey;
  upgradeAuthority: PublicKey;
  /** Write transactions it took to upload the .so. */
  writeTransactions: number;
}

/**
 * Deploys the program through BPFLoaderUpgradeable exactly as `solana program deploy` does: a buffer account
 * filled by Write transactions (each as large as a packet allows), then one transaction creating the program
 * account and calling DeployWithMaxDataLen. The provider's wallet pays and is the upgrade authority unless
 * `upgradeAuthority` is given. The program is callable from the next slot on, so the clock moves one slot.
 */
export async function deployProgramUpgradeable(
  provider: LiteSvmProvider,
  options: { programKeypair?: Keypair; upgradeAuthority?: Keypair; soPath?: string; maxDataLen?: number } = {},
): Promise<UpgradeableDeployment> {
  const program = options.programKeypair ?? programKeypair();
  const authority = options.upgradeAuthority ?? provider.payer;
  const elf = fs.readFileSync(ensureProgramBuilt(options.soPath));
  const maxDataLen = options.maxDataLen ?? elf.length;
  if (maxDataLen < elf.length) throw new RangeError(`maxDataLen ${maxDataLen} is smaller than the program (${elf.length} bytes)`);
  const conn = provider.connection;

  const buffer = Keypair.generate();
  const bufferSize = BUFFER_METADATA_SIZE + elf.length;
  await provider.sendAndConfirm(
    new Transaction().add(
      SystemProgram.createAccount({
        fromPubkey: provider.publicKey,
        newAccountPubkey: buffer.publicKey,
        lamports: await conn.getMinimumBalanceForRentExemption(bufferSize),
        space: bufferSize,
        programId: BPF_LOADER_UPGRADEABLE_PROGRAM_ID,
      }),
      initializeBufferIx(buffer.publicKey, authority.publicKey),
    ),
    [buffer],
  );

  // Write transactions are v0 messages: web3.js compiles a legacy message with its instruction data in
  // base58 (quadratic in the length, ~5 ms per kilobyte chunk), a v0 message keeps the bytes. The loader
  // sees the same instruction. Each chunk is as large as the 1232-byte packet allows: measure the
  // transaction with an empty chunk and fill the rest.
  const writeTx = (offset: number, bytes: Uint8Array): VersionedTransaction =>
    new VersionedTransaction(
      new TransactionMessage({ payerKey: provider.publicKey, recentBlockhash: provider.svm.latestBlockhash(), instructions: [writeIx(buffer.publicKey, authority.publicKey, offset, bytes)] }).compileToV0Message(),
    );
  // (An unsigned VersionedTransaction already holds a 64-byte slot per required signature.)
  const overhead = writeTx(0, new Uint8Array(0)).serialize().length;
  const chunk = PACKET_DATA_SIZE - overhead - 1; // the instruction-data length prefix grows from 1 to 2 bytes
  const full = writeTx(0, elf.subarray(0, chunk)).serialize().length;
  if (full > PACKET_DATA_SIZE) throw new Error(`write transaction of ${full} bytes exceeds the packet`);
  let writes = 0;
  for (let offset = 0; offset < elf.length; offset += chunk) {
    await provider.sendAndConfirm(writeTx(offset, elf.subarray(offset, offset + chunk)), [authority]);
    writes++;
  }

  const programData = programDataAddress(program.publicKey);
  await provider.sendAndConfirm(
    new Transaction().add(
      SystemProgram.createAccount({
        fromPubkey: provider.publicKey,
        newAccountPubkey: program.publicKey,
        lamports: await conn.getMinimumBalanceForRentExemption(PROGRAM_ACCOUNT_SIZE),
        space: PROGRAM_ACCOUNT_SIZE,
        programId: BPF_LOADER_UPGRADEABLE_PROGRAM_ID,
      }),
      deployWithMaxDataLenIx(provider.publicKey, programData, program.publicKey, buffer.publicKey, authority.publicKey, maxDataLen),
    ),
    [program, authority],
  );
  provider.svm.warpToSlot(provider.svm.getClock().slot + 1n);
  provider.svm.expireBlockhash();
  return { programId: program.publicKey, programData, upgradeAuthority: authority.publicKey, writeTransactions: writes };
}
