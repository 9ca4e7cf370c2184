// Setting a team up as its owner would through the dashboard, in both rooms: the ledger (team, members,
// API key — through the same public functions the dashboard's server routes call, acting as the owner's
// wallet) and the chain (team account, deposit). Every step finds what an earlier run did and leaves it,
// so the demo seeding and the end-to-end flow can be run again.
import { AnchorProvider, Wallet } from "@coral-xyz/anchor";
import { getAssociatedTokenAddressSync } from "@solana/spl-token";
import type { Connection, Keypair, PublicKey } from "@solana/web3.js";
import { api, type LedgerClient } from "../../ledger/client";
import { PrepaidBillingClient } from "../../sdk/src/client";
import type { TeamBillingAccount } from "../../sdk/src/accounts";
import type { Id } from "../../convex/_generated/dataModel";

export type TeamId = Id<"teams">;

/** A provider whose wallet (`payer`) pays every fee; other signers are passed per transaction. */
export function billingClient(connection: Connection, payer: Keypair, programId: PublicKey): PrepaidBillingClient {
  const provider = new AnchorProvider(connection, new Wallet(payer), { commitment: "confirmed", preflightCommitment: "confirmed" });
  return new PrepaidBillingClient(provider, { programId });
}

export interface LedgerTeamSpec {
  name: string;
  tier: number;
  /** The owner's X-User-ID. */
  userId: string;
  chainTeam: PublicKey;
  vault: PublicKey;
}

/** The team `owner` owns in the ledger, created (linked to its chain account) when it has none. */
export async function ensureLedgerTeam(ledger: LedgerClient, owner: PublicKey, spec: LedgerTeamSpec): Promise<{ teamId: TeamId; created: boolean }> {
  const as = ledger.as(owner.toBase58());
  const mine = await as.query(api.teams.listMine, {});
  const owned = mine.find((t) => t.role === "owner");
  if (owned) return { teamId: owned.teamId, created: false };
  const { teamId } = await as.mutation(api.teams.create, {
    name: spec.name,
    tier: spec.tier,
    userId: spec.userId,
    chainTeam: spec.chainTeam.toBase58(),
    vault: spec.vault.toBase58(),
  });
  return { teamId, created: true };
}

export interface MemberSpec {
  wallet: PublicKey;
  userId: string;
  email: string;
  role: "admin" | "member";
}

/** Invites and joins each member not in the team yet (by wallet); returns how many joined now. */
export async function ensureMembers(ledger: LedgerClient, teamId: TeamId, owner: PublicKey, members: readonly MemberSpec[]): Promise<number> {
  const as = ledger.as(owner.toBase58());
  const present = new Set((await as.query(api.members.list, { teamId })).map((m) => m.wallet));
  let joined = 0;
  for (const m of members) {
    if (present.has(m.wallet.toBase58())) continue;
    const { token } = await as.mutation(api.invitations.create, { teamId, email: m.email, role: m.role });
    await ledger.as(m.wallet.toBase58()).mutation(api.invitations.join, { token, userId: m.userId });
    joined++;
  }
  return joined;
}

export interface ApiKeyRecord {
  keyId: string;
  /** The key itself (the ledger shows it once, at creation). */
  key: string;
  prefix: string;
}

/** `known` when the ledger still has it unrevoked, else a new key named `name`. */
export async function ensureApiKey(
  ledger: LedgerClient,
  teamId: TeamId,
  owner: PublicKey,
  name: string,
  known: ApiKeyRecord | null,
): Promise<{ key: ApiKeyRecord; created: boolean }> {
  const as = ledger.as(owner.toBase58());
  if (known) {
    const keys = await as.query(api.apiKeys.list, { teamId });
    if (keys.some((k) => k.keyId === known.keyId && !k.revoked)) return { key: known, created: false };
  }
  const created = await as.mutation(api.apiKeys.create, { teamId, name });
  return { key: { keyId: created.keyId, key: created.key, prefix: created.prefix }, created: true };
}

/** The owner's team account, created on the given tier when missing. */
export async function ensureChainTeam(client: PrepaidBillingClient, owner: Keypair, tier: number): Promise<{ account: TeamBillingAccount; created: boolean }> {
  const existing = await client.fetchTeamOrNull(owner.publicKey);
  if (existing) return { account: existing, created: false };
  await client.createTeamAccount({ owner, tier });
  return { account: await client.fetchTeam(owner.publicKey), created: true };
}

/** The owner's associated USDC token account. */
export function ownerTokenAccount(mint: PublicKey, owner: PublicKey): PublicKey {
  return getAssociatedTokenAddressSync(mint, owner, true);
}
