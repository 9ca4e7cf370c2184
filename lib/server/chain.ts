// Chain access for the dashboard's server: reads of the deployment's config, a team account and its
// vault (one round trip), transactions built for a wallet to sign, and submission of signed ones. Browsers
// never talk to the RPC node: they sign what the server built and hand it back, so errors from the chain are
// decoded (SDK) and worded here, and no RPC URL needs to be reachable from the browser.
import { AnchorProvider, type Wallet } from "@coral-xyz/anchor";
import { getAssociatedTokenAddressSync, TOKEN_PROGRAM_ID, unpackAccount } from "@solana/spl-token";
import {
  Connection,
  PublicKey,
  Transaction,
  type TransactionInstruction,
  type VersionedTransaction,
} from "@solana/web3.js";
import { decodeBillingConfig, decodeTeamBillingAccount, type BillingConfig, type TeamBillingAccount } from "../../sdk/src/accounts";
import { PrepaidBillingClient } from "../../sdk/src/client";
import { configPda, teamPda, vaultPda } from "../../sdk/src/pdas";
import { serverEnv } from "../env";
import { AppError, toAppError } from "../errors";

let connectionSingleton: Connection | null = null;
let clientSingleton: { connection: Connection; programId: string; client: PrepaidBillingClient } | null = null;

/** The RPC connection of the configured endpoint (made again if the endpoint changed). */
export function connection(): Connection {
  const url = serverEnv().rpcUrl;
  if (connectionSingleton?.rpcEndpoint !== url) {
    connectionSingleton = new Connection(url, { commitment: "confirmed", disableRetryOnRateLimit: true });
  }
  return connectionSingleton;
}

/** A provider wallet that cannot sign: the server only builds instructions; users' wallets sign. */
class UnsignedWallet implements Wallet {
  readonly publicKey = PublicKey.default;
  get payer(): never {
    throw new Error("the dashboard server holds no keys");
  }
  signTransaction<T extends Transaction | VersionedTransaction>(): Promise<T> {
    return Promise.reject(new Error("the dashboard server holds no keys"));
  }
  signAllTransactions<T extends Transaction | VersionedTransaction>(): Promise<T[]> {
    return Promise.reject(new Error("the dashboard server holds no keys"));
  }
}

export function billingClient(): PrepaidBillingClient {
  const rpc = connection();
  const programId = serverEnv().programId;
  if (clientSingleton?.connection !== rpc || clientSingleton.programId !== programId.toBase58()) {
    const provider = new AnchorProvider(rpc, new UnsignedWallet(), { commitment: "confirmed" });
    clientSingleton = { connection: rpc, programId: programId.toBase58(), client: new PrepaidBillingClient(provider, { programId }) };
  }
  return clientSingleton.client;
}

/** Awaits a chain call; outages and program errors become AppErrors. */
export async function fromChain<T>(call: Promise<T> | (() => Promise<T>)): Promise<T> {
  try {
    return await (typeof call === "function" ? call() : call);
  } catch (error) {
    throw toAppError(error, "chain");
  }
}

export interface TeamChainState {
  /** Slot the three accounts were read at. */
  slot: number;
  config: BillingConfig | null;
  /** Null when the owner has no team account yet. */
  team: TeamBillingAccount | null;
  /** Vault balance, base units; null without a team account. */
  vaultBalance: bigint | null;
  teamAddress: PublicKey;
  vaultAddress: PublicKey;
}

/** Config, team account and vault of `owner`, read in one `getMultipleAccounts` at one slot. */
export async function readTeamChainState(owner: PublicKey): Promise<TeamChainState> {
  const programId = serverEnv().programId;
  const teamAddress = teamPda(owner, programId).address;
  const vaultAddress = vaultPda(owner, programId).address;
  const { context, value } = await fromChain(() =>
    connection().getMultipleAccountsInfoAndContext([configPda(programId).address, teamAddress, vaultAddress]),
  );
  const [configInfo, teamInfo, vaultInfo] = value;
  return {
    slot: context.slot,
    config: configInfo && configInfo.owner.equals(programId) ? decodeBillingConfig(configInfo.data) : null,
    team: teamInfo && teamInfo.owner.equals(programId) ? decodeTeamBillingAccount(teamInfo.data) : null,
    vaultBalance: vaultInfo ? unpackAccount(vaultAddress, vaultInfo, TOKEN_PROGRAM_ID).amount : null,
    teamAddress,
    vaultAddress,
  };
}

/** The deployment's config; AppError when the program is not initialised on this cluster. */
export async function requireConfig(): Promise<BillingConfig> {
  const config = await fromChain(() => billingClient().fetchConfigOrNull());
  if (!config) throw new AppError("chain_unavailable", "The billing program is not set up on this network yet.", "config_missing");
  return config;
}

export interface WalletUsdc {
  /** The wallet's associated USDC token account. */
  address: PublicKey;
  /** Base units; 0 when the account does not exist. */
  balance: bigint;
  exists: boolean;
}

export async function walletUsdc(wallet: PublicKey, mint: PublicKey): Promise<WalletUsdc> {
  const address = getAssociatedTokenAddressSync(mint, wallet, true);
  const info = await fromChain(() => connection().getAccountInfo(address));
  if (!info) return { address, balance: 0n, exists: false };
  return { address, balance: unpackAccount(address, info, TOKEN_PROGRAM_ID).amount, exists: true };
}

export interface UnsignedTransaction {
  /** Base64 of the serialized legacy transaction, fee payer = the wallet, no signatures yet. */
  transaction: string;
  /** The transaction is valid until the chain passes this block height. */
  lastValidBlockHeight: number;
}

/** A legacy transaction of `instructions` paid by `feePayer`, for the wallet to sign. */
export async function unsignedTransaction(feePayer: PublicKey, instructions: TransactionInstruction[]): Promise<UnsignedTransaction> {
  const { blockhash, lastValidBlockHeight } = await fromChain(() => connection().getLatestBlockhash("confirmed"));
  const tx = new Transaction({ feePayer, blockhash, lastValidBlockHeight }).add(...instructions);
  return {
    transaction: tx.serialize({ requireAllSignatures: false, verifySignatures: false }).toString("base64"),
    lastValidBlockHeight,
  };
}
