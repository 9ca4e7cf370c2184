// The indexer's ledger calls (chain.ingestChainEvents, chain.syncBalance) over the ledger client.
import { api, ledgerErrorOf, type LedgerClient } from "../../../ledger/client";
import type { ChainEventInput } from "../../../convex/model/chainEventShapes";
import type { BalanceSnapshot, IndexerLedger } from "../chain/indexer";

export class ConvexIndexerLedger implements IndexerLedger {
  constructor(private readonly ledger: LedgerClient) {}

  async ingest(events: ChainEventInput[]): Promise<void> {
    await this.ledger.server().mutation(api.chain.ingestChainEvents, { events });
  }

  async syncBalance(snapshot: BalanceSnapshot): Promise<void> {
    try {
      await this.ledger.server().mutation(api.chain.syncBalance, snapshot);
    } catch (err) {
      // A team on chain the ledger does not know (created outside this product): nothing to keep.
      if (ledgerErrorOf(err)?.code === "not_found") return;
      throw err;
    }
  }
}
