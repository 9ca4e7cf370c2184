// What the request thread hands the I/O thread at its start, and what the I/O thread reports back.
import type { WireError } from "./rpc";

export interface IoThreadSettings {
  rpcUrl: string;
  /** PubSub WebSocket; default web3.js's (the RPC port + 1). */
  wsUrl?: string;
  /** The billing authority's 64-byte secret key (signs deduct_usage; pays the fees). Never logged. */
  billingAuthoritySecret: Uint8Array;
  /** Default the IDL's program id. */
  programId?: string;
  ledgerUrl: string;
  ledgerServerSecret: string;
  /** Chain poll interval, ms (ChainBalanceSource pollMs). */
  balancesPollMs?: number;
  /** The chain indexer, or false to run none. */
  indexer: false | { pollMs?: number; cursorFile: string };
}

/** The I/O thread's background state, reported every second and when it stops. */
export interface IoThreadStatus {
  balances: { lastError: WireError | null; polls: number; lastPollMs: number; pollStartedAt: number | null };
  indexerError: WireError | null;
}
