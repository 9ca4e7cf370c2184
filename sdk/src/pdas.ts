// Program-derived addresses. Derivation costs a bump search (up to 255 sha256 rounds), and the gateway
// and settler derive the same few addresses over and over, so results are cached per program id + seeds.
import { PublicKey } from "@solana/web3.js";
import { CONFIG_SEED, PROGRAM_ID, TEAM_SEED, VAULT_SEED } from "./constants";

export interface Pda {
  address: PublicKey;
  bump: number;
}

const cache = new Map<string, Pda>();

function derive(programId: PublicKey, seed: string, key?: PublicKey): Pda {
  const cacheKey = `${programId.toBase58()}/${seed}/${key ? key.toBase58() : ""}`;
  const hit = cache.get(cacheKey);
  if (hit) return hit;
  // Uint8Array rather than Buffer so the module also runs in browsers without a Buffer polyfill.
  const seedBytes = new TextEncoder().encode(seed);
  const seeds = key ? [seedBytes, key.toBytes()] : [seedBytes];
  const [address, bump] = PublicKey.findProgramAddressSync(seeds, programId);
  const pda = { address, bump };
  cache.set(cacheKey, pda);
  return pda;
}

/** The deployment's BillingConfig: `["config"]`. */
export function configPda(programId: PublicKey = PROGRAM_ID): Pda {
  return derive(programId, CONFIG_SEED);
}

/** The owner's TeamBillingAccount: `["team_billing", owner]`. */
export function teamPda(owner: PublicKey, programId: PublicKey = PROGRAM_ID): Pda {
  return derive(programId, TEAM_SEED, owner);
}

/** The owner's team vault (an SPL token account whose authority is the team PDA): `["team_usdc", owner]`. */
export function vaultPda(owner: PublicKey, programId: PublicKey = PROGRAM_ID): Pda {
  return derive(programId, VAULT_SEED, owner);
}
