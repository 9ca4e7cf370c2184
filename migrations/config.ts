// Initialising the deployment's BillingConfig, idempotently: the treasury and staker-pool token accounts of
// the USDC mint (created at addresses derived from the payer's key and the mint unless existing accounts
// are given), then initialize_config through the SDK. A config that already exists is left as it is and
// reported; one that names another mint is an error (a second deployment needs another program id).
import { AnchorProvider, Wallet } from "@coral-xyz/anchor";
import {
  ACCOUNT_SIZE,
  MINT_SIZE,
  TOKEN_PROGRAM_ID,
  createInitializeAccount3Instruction,
  createInitializeMint2Instruction,
  unpackAccount,
  unpackMint,
} from "@solana/spl-token";
import { Keypair, PublicKey, SystemProgram, type Connection } from "@solana/web3.js";
import { createHash } from "node:crypto";
import { PrepaidBillingClient, USDC_DECIMALS, type BillingConfig } from "../sdk/src";
import { DeployError } from "./program";
import { sendOne, type SendOptions } from "./sender";

export type ConfigAction = "initialized" | "unchanged";

export interface ConfigParams {
  usdcMint: PublicKey;
  billingAuthority: PublicKey;
  /** Existing token accounts; created when absent. */
  treasury?: PublicKey;
  stakerPool?: PublicKey;
  /** Owners of created treasury/staker-pool accounts; default the payer. */
  treasuryOwner?: PublicKey;
  stakerPoolOwner?: PublicKey;
  /** Seconds; the SDK's defaults when absent (900 and 30 days). */
  withdrawalNoticeSecs?: bigint;
  periodSecs?: bigint;
}

export interface ConfigDeployment {
  action: ConfigAction;
  config: PublicKey;
  state: BillingConfig;
  /** Transactions sent. */
  transactions: number;
}

/** Seed of a derived token account: at most 32 characters, unique per role and mint. */
function tokenAccountSeed(role: "treasury" | "stakers", mint: PublicKey): string {
  return `pb-${role}-${mint.toBase58().slice(0, 16)}`;
}

/** Where the treasury or staker-pool account of `mint` is created for `payer` (createAccountWithSeed). */
export function derivedTokenAccount(payer: PublicKey, role: "treasury" | "stakers", mint: PublicKey): PublicKey {
  // PublicKey.createWithSeed, synchronously: sha256(base || seed || owner program).
  const seed = Buffer.from(tokenAccountSeed(role, mint), "utf8");
  return new PublicKey(createHash("sha256").update(payer.toBuffer()).update(seed).update(TOKEN_PROGRAM_ID.toBuffer()).digest());
}

/** Makes sure a token account of `mint` owned by `owner` exists at the derived address; returns it. */
async function ensureTokenAccount(
  connection: Connection,
  payer: Keypair,
  role: "treasury" | "stakers",
  mint: PublicKey,
  owner: PublicKey,
  options: SendOptions,
): Promise<{ address: PublicKey; created: boolean }> {
  const address = derivedTokenAccount(payer.publicKey, role, mint);
  const info = await connection.getAccountInfo(address, "confirmed");
  if (info) {
    const account = unpackAccount(address, info, TOKEN_PROGRAM_ID);
    if (!account.mint.equals(mint)) throw new DeployError(`${role} account ${address.toBase58()} holds mint ${account.mint.toBase58()}, not ${mint.toBase58()}`);
    return { address, created: false };
  }
  const lamports = await connection.getMinimumBalanceForRentExemption(ACCOUNT_SIZE, "confirmed");
  await sendOne(
    connection,
    {
      label: `create ${role} account`,
      signers: [payer],
      instructions: [
        SystemProgram.createAccountWithSeed({
          fromPubkey: payer.publicKey,
          basePubkey: payer.publicKey,
          seed: tokenAccountSeed(role, mint),
          newAccountPubkey: address,
          lamports,
          space: ACCOUNT_SIZE,
          programId: TOKEN_PROGRAM_ID,
        }),
        createInitializeAccount3Instruction(address, mint, owner),
      ],
    },
    options,
  );
  options.log?.(`created ${role} token account ${address.toBase58()} (owner ${owner.toBase58()})`);
  return { address, created: true };
}

async function checkTokenAccount(connection: Connection, address: PublicKey, mint: PublicKey, role: string): Promise<void> {
  const info = await connection.getAccountInfo(address, "confirmed");
  if (!info) throw new DeployError(`${role} ${address.toBase58()} does not exist`);
  const account = unpackAccount(address, info, TOKEN_PROGRAM_ID);
  if (!account.mint.equals(mint)) throw new DeployError(`${role} ${address.toBase58()} is a token account of ${account.mint.toBase58()}, not ${mint.toBase58()}`);
}

/** A client of the program whose wallet is `payer`, against `connection`. */
export function clientFor(connection: Connection, payer: Keypair, programId: PublicKey): PrepaidBillingClient {
  const provider = new AnchorProvider(connection, new Wallet(payer), { commitment: "confirmed", preflightCommitment: "confirmed" });
  return new PrepaidBillingClient(provider, { programId });
}

export async function ensureConfig(
  connection: Connection,
  payer: Keypair,
  programId: PublicKey,
  params: ConfigParams,
  options: SendOptions = {},
): Promise<ConfigDeployment> {
  const client = clientFor(connection, payer, programId);
  const existing = await client.fetchConfigOrNull();
  if (existing) {
    if (!existing.usdcMint.equals(params.usdcMint)) {
      throw new DeployError(`config ${client.configAddress.toBase58()} already exists for mint ${existing.usdcMint.toBase58()}, not ${params.usdcMint.toBase58()}`);
    }
    return { action: "unchanged", config: client.configAddress, state: existing, transactions: 0 };
  }
  const mintInfo = await connection.getAccountInfo(params.usdcMint, "confirmed");
  if (!mintInfo) throw new DeployError(`USDC mint ${params.usdcMint.toBase58()} does not exist`);
  unpackMint(params.usdcMint, mintInfo, TOKEN_PROGRAM_ID);

  let transactions = 0;
  const account = async (role: "treasury" | "stakers", given: PublicKey | undefined, owner: PublicKey | undefined): Promise<PublicKey> => {
    if (given) {
      await checkTokenAccount(connection, given, params.usdcMint, role);
      return given;
    }
    const { address, created } = await ensureTokenAccount(connection, payer, role, params.usdcMint, owner ?? payer.publicKey, options);
    if (created) transactions++;
    return address;
  };
  const treasury = await account("treasury", params.treasury, params.treasuryOwner);
  const stakerPool = await account("stakers", params.stakerPool, params.stakerPoolOwner);

  const ix = await client.initializeConfigIx({
    admin: payer.publicKey,
    usdcMint: params.usdcMint,
    treasury,
    stakerPool,
    billingAuthority: params.billingAuthority,
    withdrawalNoticeSecs: params.withdrawalNoticeSecs,
    periodSecs: params.periodSecs,
  });
  await sendOne(connection, { label: "initialize_config", signers: [payer], instructions: [ix] }, options);
  transactions++;
  return { action: "initialized", config: client.configAddress, state: await client.fetchConfig(), transactions };
}

/** The local USDC-like mint of `payer` (6 decimals, payer = mint authority), created when missing. */
export function localMintKeypair(payer: Keypair): Keypair {
  return Keypair.fromSeed(createHash("sha256").update("prepaid-billing local usdc mint").update(payer.secretKey.subarray(0, 32)).digest());
}

export async function ensureLocalMint(connection: Connection, payer: Keypair, options: SendOptions = {}): Promise<{ mint: PublicKey; created: boolean }> {
  const mint = localMintKeypair(payer);
  const info = await connection.getAccountInfo(mint.publicKey, "confirmed");
  if (info) {
    const state = unpackMint(mint.publicKey, info, TOKEN_PROGRAM_ID);
    if (state.decimals !== USDC_DECIMALS) throw new DeployError(`local mint ${mint.publicKey.toBase58()} has ${state.decimals} decimals`);
    return { mint: mint.publicKey, created: false };
  }
  const lamports = await connection.getMinimumBalanceForRentExemption(MINT_SIZE, "confirmed");
  await sendOne(
    connection,
    {
      label: "create local USDC mint",
      signers: [payer, mint],
      instructions: [
        SystemProgram.createAccount({ fromPubkey: payer.publicKey, newAccountPubkey: mint.publicKey, lamports, space: MINT_SIZE, programId: TOKEN_PROGRAM_ID }),
        createInitializeMint2Instruction(mint.publicKey, USDC_DECIMALS, payer.publicKey, null),
      ],
    },
    options,
  );
  return { mint: mint.publicKey, created: true };
}
