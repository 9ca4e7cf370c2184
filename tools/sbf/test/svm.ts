// Runs a linked program in litesvm (the real SBPF loader and VM) with one instruction, and reports
// what a test wants to assert on: success or the custom error code, the logs and compute units.
import { address, getTransactionDecoder, lamports } from "@solana/kit";
import { Keypair, Transaction, TransactionInstruction } from "@solana/web3.js";
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

export class ProgramRunner {
  private readonly svm = new LiteSVM();
  private readonly payer = Keypair.generate();
  readonly programId = Keypair.generate().publicKey;

  /** Loads `so` (throws the loader's error when the ELF is refused). */
  constructor(so: Uint8Array) {
    this.svm.addProgram(address(this.programId.toBase58()), so);
    this.svm.airdrop(address(this.payer.publicKey.toBase58()), lamports(1_000_000_000n));
  }

  run(data: Uint8Array = new Uint8Array()): Outcome {
    const tx = new Transaction().add(new TransactionInstruction({ programId: this.programId, keys: [], data: Buffer.from(data) }));
    tx.recentBlockhash = this.svm.latestBlockhash();
    tx.feePayer = this.payer.publicKey;
    tx.sign(this.payer);
    // litesvm 1.5 takes @solana/kit transactions: decode web3.js's wire format into one.
    const decoded = getTransactionDecoder().decode(tx.serialize());
    const result = this.svm.sendTransaction(decoded as Parameters<LiteSVM["sendTransaction"]>[0]);
    // Identical transactions in one blockhash would be rejected as duplicates.
    this.svm.expireBlockhash();
    if (result instanceof FailedTransactionMetadata) {
      const err = result.err();
      const meta = result.meta();
      const rendered = err.toString();
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
}
