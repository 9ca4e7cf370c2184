// The chain and ledger clients of a runtime, over a provider and a ledger client: the key source, the
// balance feed, the settlement ledger and chain, and the indexer, with the start and stop of their
// background work. Built in the request thread by an in-process runtime (runtime.ts) and in the I/O thread
// otherwise (io-thread/worker.ts).
import { AnchorProvider, type Provider } from "@coral-xyz/anchor";
import { Connection, type Keypair, type PublicKey, type Signer } from "@solana/web3.js";
import type { LedgerClient, ScopedLedger } from "../../ledger/client";
import { PrepaidBillingClient } from "../../sdk/src/client";
import type { TeamChainState } from "./balance/source";
import { ChainBalanceSource } from "./chain/balance-source";
import { fileCursor } from "./chain/cursor-file";
import { ChainIndexer, RpcTransactionSource, type ProgramTransactionSource, type SignaturesConnection } from "./chain/indexer";
import { keypairWallet } from "./chain/keypair-wallet";
import { SdkSettlementChain } from "./chain/settlement-chain";
import { ConvexIndexerLedger } from "./ledger/indexer-ledger";
import { LedgerKeySource } from "./ledger/key-source";
import { LedgerLeaseSource } from "./ledger/lease-source";
import { ConvexSettlementLedger } from "./ledger/settlement-ledger";

/** A provider over an RPC URL (and its PubSub socket) whose wallet is the billing authority, "confirmed". */
export function rpcProvider(rpcUrl: string, wsUrl: string | undefined, billingAuthority: Keypair): AnchorProvider {
  const connection = new Connection(rpcUrl, { commitment: "confirmed", ...(wsUrl ? { wsEndpoint: wsUrl } : {}) });
  return new AnchorProvider(connection, keypairWallet(billingAuthority), { commitment: "confirmed" });
}

export interface ClientServicesOptions {
  provider: Provider;
  /** Signs deduct_usage. */
  billingAuthority: Signer;
  /** Default the IDL's program id. */
  programId?: PublicKey;
  ledger: LedgerClient;
  /** Sends recordUsageBatch (large), e.g. from a worker thread. Default the ledger client. */
  largeMutations?: Pick<ScopedLedger, "mutation">;
  /** Chain poll interval, ms. */
  balancesPollMs?: number;
  /** Called with every team state the balance feed reads. */
  onState?: (team: string, state: TeamChainState | null) => void;
  /** The indexer, or false for none: program transactions over RPC (cursor in `cursorFile`) unless `source` is given. */
  indexer: false | { source?: ProgramTransactionSource; cursorFile: string; pollMs?: number };
}

export function clientServices(o: ClientServicesOptions) {
  const client = new PrepaidBillingClient(o.provider, o.programId ? { programId: o.programId } : {});
  const balances = new ChainBalanceSource({ connection: o.provider.connection, programId: client.programId, pollMs: o.balancesPollMs, onState: o.onState });
  const indexer =
    o.indexer === false
      ? null
      : new ChainIndexer({
          source:
            o.indexer.source ??
            new RpcTransactionSource(
              o.provider.connection as unknown as SignaturesConnection, // a web3.js Connection in production
              client.programId,
              fileCursor(o.indexer.cursorFile),
            ),
          ledger: new ConvexIndexerLedger(o.ledger),
          balances,
          programId: client.programId,
          pollMs: o.indexer.pollMs,
        });
  return {
    keys: new LedgerKeySource(o.ledger),
    balances,
    settlementLedger: new ConvexSettlementLedger(o.ledger, o.largeMutations),
    leases: new LedgerLeaseSource(o.ledger),
    chain: new SdkSettlementChain(client, o.billingAuthority),
    indexer,
    /** Starts the balance feed and the indexer. */
    start(): void {
      balances.start();
      indexer?.start();
    },
    /** Stops them: the indexer ingests what is left once, then the subscriptions end. */
    async stop(): Promise<void> {
      await indexer?.stop();
      if (indexer) await indexer.pollOnce().catch(() => undefined);
      await balances.stop();
    },
  };
}
