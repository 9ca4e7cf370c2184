// SPL Token helpers over the provider, built from @solana/spl-token's instruction builders (the real
// token program bundled in litesvm executes them). Amounts are base units as bigint.
import {
  ACCOUNT_SIZE,
  MINT_SIZE,
  TOKEN_PROGRAM_ID,
  createAssociatedTokenAccountIdempotentInstruction,
  createInitializeAccount3Instruction,
  createInitializeMint2Instruction,
  createMintToInstruction,
  createTransferInstruction,
  getAssociatedTokenAddressSync,
  unpackAccount,
  unpackMint,
} from "@solana/spl-token";
import { Keypair, SystemProgram, Transaction, type PublicKey, type Signer } from "@solana/web3.js";
import type { LiteSvmProvider } from "./litesvm-provider";

export const USDC_DECIMALS = 6;

/** Creates a mint (default 6 decimals, like USDC) whose mint authority is `authority` (default the wallet). */
export async function createMint(
  provider: LiteSvmProvider,
  options: { decimals?: number; authority?: PublicKey; keypair?: Keypair } = {},
): Promise<PublicKey> {
  const mint = options.keypair ?? Keypair.generate();
  const lamports = await provider.connection.getMinimumBalanceForRentExemption(MINT_SIZE);
  const tx = new Transaction().add(
    SystemProgram.createAccount({ fromPubkey: provider.publicKey, newAccountPubkey: mint.publicKey, lamports, space: MINT_SIZE, programId: TOKEN_PROGRAM_ID }),
    createInitializeMint2Instruction(mint.publicKey, options.decimals ?? USDC_DECIMALS, options.authority ?? provider.publicKey, null),
  );
  await provider.sendAndConfirm(tx, [mint]);
  return mint.publicKey;
}

/** Creates a token account of `mint` owned by `owner` at a fresh address (any number per owner). */
export async function createTokenAccount(provider: LiteSvmProvider, mint: PublicKey, owner: PublicKey): Promise<PublicKey> {
  const account = Keypair.generate();
  const lamports = await provider.connection.getMinimumBalanceForRentExemption(ACCOUNT_SIZE);
  const tx = new Transaction().add(
    SystemProgram.createAccount({ fromPubkey: provider.publicKey, newAccountPubkey: account.publicKey, lamports, space: ACCOUNT_SIZE, programId: TOKEN_PROGRAM_ID }),
    createInitializeAccount3Instruction(account.publicKey, mint, owner),
  );
  await provider.sendAndConfirm(tx, [account]);
  return account.publicKey;
}

/** The associated token account of `owner` for `mint`, created if missing (idempotent). */
export async function createAssociatedTokenAccount(provider: LiteSvmProvider, mint: PublicKey, owner: PublicKey): Promise<PublicKey> {
  const address = getAssociatedTokenAddressSync(mint, owner, true);
  await provider.sendAndConfirm(new Transaction().add(createAssociatedTokenAccountIdempotentInstruction(provider.publicKey, address, owner, mint)));
  return address;
}

/** Mints `amount` base units to `destination`; `authority` defaults to the wallet. */
export async function mintTo(provider: LiteSvmProvider, mint: PublicKey, destination: PublicKey, amount: bigint, authority?: Signer): Promise<void> {
  const auth = authority ?? provider.payer;
  await provider.sendAndConfirm(new Transaction().add(createMintToInstruction(mint, destination, auth.publicKey, amount)), [auth]);
}

/** Transfers `amount` base units between token accounts, signed by the source's owner. */
export async function transfer(provider: LiteSvmProvider, source: PublicKey, destination: PublicKey, owner: Signer, amount: bigint): Promise<string> {
  return provider.sendAndConfirm(new Transaction().add(createTransferInstruction(source, destination, owner.publicKey, amount)), [owner]);
}

/** Token balance of a token account, base units. Throws when the account does not exist. */
export async function tokenBalance(provider: LiteSvmProvider, account: PublicKey): Promise<bigint> {
  const info = await provider.connection.getAccountInfo(account);
  if (!info) throw new Error(`token account ${account.toBase58()} does not exist`);
  return unpackAccount(account, info, TOKEN_PROGRAM_ID).amount;
}

/** Supply and decimals of a mint. */
export async function mintInfo(provider: LiteSvmProvider, mint: PublicKey): Promise<{ supply: bigint; decimals: number }> {
  const info = await provider.connection.getAccountInfo(mint);
  if (!info) throw new Error(`mint ${mint.toBase58()} does not exist`);
  const m = unpackMint(mint, info, TOKEN_PROGRAM_ID);
  return { supply: m.supply, decimals: m.decimals };
}
