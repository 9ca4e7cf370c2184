// Runs linked programs in litesvm (the real SBPF loader and VM) and reports what a test wants to
// assert on: success or the custom error code, the logs and compute units.
import { address, getTransactionDecoder, lamports } from "@solana/kit";
import { Keypair, PublicKey, SystemProgram, SYSVAR_CLOCK_PUBKEY, SYSVAR_RENT_PUBKEY, Transaction, TransactionInstruction } from "@solana/web3.js";
import { FailedTransactionMetadata, LiteSVM } from "litesvm";

export interface Outcome {
  ok: boolean;
  /** InstructionError Custom(n) of a failed run, when the program returned n. */
  customError?: number;
  /** Rendered error of a failed run. */
  error?: string;
  logs: string[];
  computeUnits: bigint;
}

export const UPGRADEABLE_LOADER = new PublicKey("BPFLoaderUpgradeab1e11111111111111111111111");

/** Bytes of the buffer account's header (UpgradeableLoaderState::Buffer: tag + optional authority). */
const BUFFER_HEADER = 37;
/** Bytes of the program account (UpgradeableLoaderState::Program: tag + programdata address). */
const PROGRAM_ACCOUNT_SIZE = 36;
/** Program bytes per Write instruction, so one transaction stays under 1232 bytes. */
const WRITE_CHUNK = 900;

export class Chain {
  readonly svm = new LiteSVM();
  readonly payer = Keypair.generate();

  constructor() {
    this.svm.airdrop(address(this.payer.publicKey.toBase58()), lamports(100_000_000_000n));
  }

  send(instructions: TransactionInstruction[], signers: Keypair[] = []): Outcome {
    const tx = new Transaction().add(...instructions);
    tx.recentBlockhash = this.svm.latestBlockhash();
    tx.feePayer = this.payer.publicKey;
    tx.sign(this.payer, ...signers);
    // litesvm 1.5 takes @solana/kit transactions: decode web3.js's wire format into one.
    const decoded = getTransactionDecoder().decode(tx.serialize());
    const result = this.svm.sendTransaction(decoded as Parameters<LiteSVM["sendTransaction"]>[0]);
    // Identical transactions in one blockhash would be rejected as duplicates.
    this.svm.expireBlockhash();
    if (result instanceof FailedTransactionMetadata) {
      const meta = result.meta();
      const rendered = result.err().toString();
      const custom = /Custom(?:\((\d+)\)| \{ code: (\d+) \})/.exec(rendered);
      return {
        ok: false,
        customError: custom ? Number(custom[1] ?? custom[2]) : undefined,
        error: rendered,
        logs: meta.logs(),
        computeUnits: meta.computeUnitsConsumed(),
      };
    }
    return { ok: true, logs: result.logs(), computeUnits: result.computeUnitsConsumed() };
  }

  /** Loads `so` directly (throws the loader's error when the ELF is refused). */
  addProgram(so: Uint8Array): PublicKey {
    const programId = Keypair.generate().publicKey;
    this.svm.addProgram(address(programId.toBase58()), so);
    return programId;
  }

  private rentExempt(size: number): number {
    return Number(this.svm.minimumBalanceForRentExemption(BigInt(size)));
  }

  /**
   * Deploys `so` the way a cluster does: a buffer written by BPFLoaderUpgradeable's InitializeBuffer
   * and Write instructions, then DeployWithMaxDataLen, which runs the loader's strict checks.
   * Returns the failed step's outcome, or the program id.
   */
  deployUpgradeable(so: Uint8Array): { programId: PublicKey } | { failed: Outcome } {
    const buffer = Keypair.generate();
    const program = Keypair.generate();
    const authority = this.payer.publicKey;
    const u32 = (n: number) => {
      const b = Buffer.alloc(4);
      b.writeUInt32LE(n);
      return b;
    };
    const u64 = (n: number) => {
      const b = Buffer.alloc(8);
      b.writeBigUInt64LE(BigInt(n));
      return b;
    };
    const steps: [TransactionInstruction[], Keypair[]][] = [];
    steps.push([
      [
        SystemProgram.createAccount({
          fromPubkey: authority,
          newAccountPubkey: buffer.publicKey,
          lamports: this.rentExempt(BUFFER_HEADER + so.length),
          space: BUFFER_HEADER + so.length,
          programId: UPGRADEABLE_LOADER,
        }),
        new TransactionInstruction({
          programId: UPGRADEABLE_LOADER,
          keys: [
            { pubkey: buffer.publicKey, isSigner: false, isWritable: true },
            { pubkey: authority, isSigner: false, isWritable: false },
          ],
          data: u32(0), // InitializeBuffer
        }),
      ],
      [buffer],
    ]);
    for (let offset = 0; offset < so.length; offset += WRITE_CHUNK) {
      const bytes = Buffer.from(so.subarray(offset, offset + WRITE_CHUNK));
      steps.push([
        [
          new TransactionInstruction({
            programId: UPGRADEABLE_LOADER,
            keys: [
              { pubkey: buffer.publicKey, isSigner: false, isWritable: true },
              { pubkey: authority, isSigner: true, isWritable: false },
            ],
            data: Buffer.concat([u32(1), u32(offset), u64(bytes.length), bytes]), // Write
          }),
        ],
        [],
      ]);
    }
    const [programData] = PublicKey.findProgramAddressSync([program.publicKey.toBuffer()], UPGRADEABLE_LOADER);
    steps.push([
      [
        SystemProgram.createAccount({
          fromPubkey: authority,
          newAccountPubkey: program.publicKey,
          lamports: this.rentExempt(PROGRAM_ACCOUNT_SIZE),
          space: PROGRAM_ACCOUNT_SIZE,
          programId: UPGRADEABLE_LOADER,
        }),
        new TransactionInstruction({
          programId: UPGRADEABLE_LOADER,
          keys: [
            { pubkey: authority, isSigner: true, isWritable: true },
            { pubkey: programData, isSigner: false, isWritable: true },
            { pubkey: program.publicKey, isSigner: false, isWritable: true },
            { pubkey: buffer.publicKey, isSigner: false, isWritable: true },
            { pubkey: SYSVAR_RENT_PUBKEY, isSigner: false, isWritable: false },
            { pubkey: SYSVAR_CLOCK_PUBKEY, isSigner: false, isWritable: false },
            { pubkey: SystemProgram.programId, isSigner: false, isWritable: false },
            { pubkey: authority, isSigner: true, isWritable: false },
          ],
          data: Buffer.concat([u32(2), u64(so.length)]), // DeployWithMaxDataLen
        }),
      ],
      [program],
    ]);
    for (const [instructions, signers] of steps) {
      const outcome = this.send(instructions, signers);
      if (!outcome.ok) return { failed: outcome };
    }
    // A freshly deployed program becomes visible in the next slot.
    this.svm.warpToSlot(this.svm.getClock().slot + 1n);
    return { programId: program.publicKey };
  }
}

/** One program on its own chain, invoked with instruction data and no accounts. */
export class ProgramRunner {
  readonly chain: Chain;
  readonly programId: PublicKey;

  /** Loads `so` with addProgram, or `programId` already deployed on `chain`. */
  constructor(so: Uint8Array);
  constructor(chain: Chain, programId: PublicKey);
  constructor(soOrChain: Uint8Array | Chain, programId?: PublicKey) {
    if (soOrChain instanceof Chain) {
      if (!programId) throw new Error("a program id is needed with a chain");
      this.chain = soOrChain;
      this.programId = programId;
    } else {
      this.chain = new Chain();
      this.programId = this.chain.addProgram(soOrChain);
    }
  }

  run(data: Uint8Array = new Uint8Array()): Outcome {
    return this.chain.send([new TransactionInstruction({ programId: this.programId, keys: [], data: Buffer.from(data) })]);
  }
}
