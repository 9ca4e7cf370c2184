// A ProgramTransactionSource for litesvm, which has no getSignaturesForAddress: it records the signature of
// every transaction sent through the provider and reads each back with the connection's getTransaction.
import type { LiteSvmProvider } from "../../tests/support";
import type { ProgramTransaction, ProgramTransactionSource } from "../src/chain/indexer";

export class RecordingTransactionSource implements ProgramTransactionSource {
  private readonly seen: string[] = [];
  private next = 0;

  constructor(private readonly provider: LiteSvmProvider) {
    const send = provider.sendAndConfirm.bind(provider);
    provider.sendAndConfirm = async (...args: Parameters<LiteSvmProvider["sendAndConfirm"]>) => {
      try {
        return await send(...args);
      } finally {
        if (provider.lastTransaction) this.seen.push(provider.lastTransaction.signature);
      }
    };
  }

  async poll() {
    const upTo = this.seen.length;
    const transactions: ProgramTransaction[] = [];
    for (const signature of this.seen.slice(this.next, upTo)) {
      const tx = await this.provider.liteConnection.getTransaction(signature);
      if (!tx) continue;
      transactions.push({
        signature,
        slot: tx.slot,
        blockTime: Number(this.provider.svm.getClock().unixTimestamp),
        logs: tx.meta.logMessages,
        failed: tx.meta.err !== null,
      });
    }
    return {
      transactions,
      commit: async () => {
        this.next = upTo;
      },
    };
  }
}
