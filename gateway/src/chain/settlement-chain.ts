// What the settler needs from the chain, and its implementation over the SDK client: read team accounts
// and the cluster clock in one call, build roll_period + deduct_usage instructions, check that a set of
// instructions fits one legacy transaction, and send it signed by the billing authority.
//
// Transactions are compiled as a legacy `Message` (web3.js's `Message.compile`, one base58 encoding per
// account) and sent as a `VersionedTransaction` signed with Node's Ed25519: web3.js's `Transaction`
// compiles with a quadratic number of base58 encodings and verifies every signature in pure JS when it
// serializes, ~10–20 ms of the event loop that admits requests for each settlement transaction here.
import {
  PublicKey,
  SYSVAR_CLOCK_PUBKEY,
  TransactionMessage,
  VersionedTransaction,
  type Message,
  type Signer,
  type TransactionInstruction,
} from "@solana/web3.js";
import { clockUnixSeconds } from "./clock";
import { nativeSigner } from "./keypair-wallet";
import { decodeTeamBillingAccount, type TeamBillingAccount } from "../../../sdk/src/accounts";
import type { PrepaidBillingClient, SettlementAccounts } from "../../../sdk/src/client";

/** Largest serialized legacy transaction, bytes. */
export const PACKET_DATA_SIZE = 1232;
const DUMMY_BLOCKHASH = PublicKey.default.toBase58();

export interface TeamBatchPlan {
  /** The team account's owner (its PDA seed). */
  teamOwner: PublicKey;
  seq: bigint;
  requestCount: bigint;
  usageRoot: Uint8Array;
  /** Put roll_period before deduct_usage (the period ended, its base fee is unpaid, or debt is owed). */
  roll: boolean;
}

export interface SettlementChain {
  /** Team accounts by address (null when absent) and the cluster's unix time, seconds. */
  readTeams(addresses: readonly string[]): Promise<{ nowSec: bigint; teams: Map<string, TeamBillingAccount | null> }>;
  /** The instructions settling one team's batch. */
  instructions(plan: TeamBatchPlan): Promise<TransactionInstruction[]>;
  /** Whether these instructions fit one transaction. */
  fits(ixs: readonly TransactionInstruction[]): boolean;
  /** Sends one transaction and waits for its confirmation; returns the signature. */
  send(ixs: readonly TransactionInstruction[]): Promise<string>;
}

/** Whether these instructions, paid by `feePayer`, fit one legacy transaction with its signatures. */
export function fitsOneTransaction(ixs: readonly TransactionInstruction[], feePayer: PublicKey): boolean {
  const message = new TransactionMessage({ payerKey: feePayer, recentBlockhash: DUMMY_BLOCKHASH, instructions: [...ixs] }).compileToLegacyMessage();
  // Compact-u16 signature count (one byte below 128 signatures), the signatures, the message.
  return 1 + 64 * message.header.numRequiredSignatures + message.serialize().length <= PACKET_DATA_SIZE;
}

/** Whether roll_period has something to do for a team at `nowSec` (else it fails with PeriodNotEnded). */
export function rollDue(a: TeamBillingAccount, nowSec: bigint): boolean {
  return !a.baseFeePaid || nowSec >= a.periodEnd || a.unpaidBaseFee > 0n || a.unpaidOverage > 0n;
}


export class SdkSettlementChain implements SettlementChain {
  private settlement: SettlementAccounts | null = null;
  /** Signs a message as the billing authority (Node's Ed25519): 64 bytes. */
  private readonly authoritySigns: (message: Uint8Array) => Uint8Array;

  constructor(
    private readonly client: PrepaidBillingClient,
    private readonly billingAuthority: Signer,
  ) {
    this.authoritySigns = nativeSigner(billingAuthority);
  }

  /** Pays the fee: the provider's wallet, else the billing authority. */
  get feePayer(): PublicKey {
    return this.client.provider.publicKey ?? this.billingAuthority.publicKey;
  }

  private message(ixs: readonly TransactionInstruction[], recentBlockhash: string): Message {
    return new TransactionMessage({ payerKey: this.feePayer, recentBlockhash, instructions: [...ixs] }).compileToLegacyMessage();
  }

  async readTeams(addresses: readonly string[]) {
    const { nowSec, teams: data } = await this.readTeamData(addresses);
    const teams = new Map<string, TeamBillingAccount | null>();
    for (const [address, bytes] of data) teams.set(address, bytes === null ? null : decodeTeamBillingAccount(bytes));
    return { nowSec, teams };
  }

  /** readTeams before decoding: each team account's data (null when absent or not the program's) and the cluster's unix time. */
  async readTeamData(addresses: readonly string[]): Promise<{ nowSec: bigint; teams: Map<string, Uint8Array | null> }> {
    const conn = this.client.provider.connection;
    const teams = new Map<string, Uint8Array | null>();
    let nowSec = BigInt(Math.floor(Date.now() / 1000));
    for (let i = 0; i < addresses.length || i === 0; i += 99) {
      const slice = addresses.slice(i, i + 99);
      const infos = await conn.getMultipleAccountsInfo([SYSVAR_CLOCK_PUBKEY, ...slice.map((a) => new PublicKey(a))]);
      nowSec = clockUnixSeconds(infos[0]) ?? nowSec;
      slice.forEach((a, j) => {
        const info = infos[1 + j];
        teams.set(a, info && info.owner.equals(this.client.programId) ? info.data : null);
      });
      if (addresses.length === 0) break;
    }
    return { nowSec, teams };
  }

  async instructions(plan: TeamBatchPlan): Promise<TransactionInstruction[]> {
    this.settlement ??= await this.client.settlementAccounts();
    const teamOwner = plan.teamOwner;
    const ixs: TransactionInstruction[] = [];
    if (plan.roll) ixs.push(await this.client.rollPeriodIx({ teamOwner, settlement: this.settlement }));
    ixs.push(
      await this.client.deductUsageIx({
        billingAuthority: this.billingAuthority.publicKey,
        teamOwner,
        batchSeq: plan.seq,
        requestCount: plan.requestCount,
        usageRoot: plan.usageRoot,
        settlement: this.settlement,
      }),
    );
    return ixs;
  }

  fits(ixs: readonly TransactionInstruction[]): boolean {
    return fitsOneTransaction(ixs, this.feePayer);
  }

  async send(ixs: readonly TransactionInstruction[]): Promise<string> {
    const provider = this.client.provider;
    if (!provider.sendAndConfirm) throw new Error("the provider cannot send transactions");
    const { blockhash } = await provider.connection.getLatestBlockhash("confirmed");
    const tx = new VersionedTransaction(this.message(ixs, blockhash));
    // The provider's wallet signs as the fee payer; the billing authority signs here when it is another key.
    if (!this.feePayer.equals(this.billingAuthority.publicKey)) {
      tx.addSignature(this.billingAuthority.publicKey, this.authoritySigns(tx.message.serialize()));
    }
    return provider.sendAndConfirm(tx);
  }
}
