// Teams: creation (the creator becomes the Owner) and settings.
import type { Doc, Id } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import { audit } from "./audit";
import { ledgerError } from "./errors";
import { requeueForRecipients } from "./invoices";
import { normalizeEmail, requireAddress, requireMemberUserId, requireName } from "./format";
import { requireTier, tierTerms } from "./tiers";

export type CreateTeamInput = {
  wallet: string;
  name: string;
  tier?: number;
  billingEmail?: string;
  ownerEmail?: string;
  userId?: string;
  chainTeam?: string;
  vault?: string;
};

export async function createTeam(ctx: MutationCtx, input: CreateTeamInput): Promise<Id<"teams">> {
  const name = requireName(input.name, "team name");
  const tier = requireTier(input.tier ?? 0);
  const billingEmail = input.billingEmail === undefined ? undefined : normalizeEmail(input.billingEmail, "billing email");
  const ownerEmail = input.ownerEmail === undefined ? undefined : normalizeEmail(input.ownerEmail, "owner email");
  const userId = requireMemberUserId(input.userId ?? input.wallet);
  const chainTeam = input.chainTeam === undefined ? undefined : requireAddress(input.chainTeam, "chainTeam");
  const vault = input.vault === undefined ? undefined : requireAddress(input.vault, "vault");

  // The program keeps one TeamBillingAccount per owner wallet, so the ledger does too.
  const existing = await ctx.db
    .query("teams")
    .withIndex("by_owner", (q) => q.eq("ownerWallet", input.wallet))
    .first();
  if (existing !== null) throw ledgerError("conflict", "this wallet already owns a team");
  if (chainTeam !== undefined) {
    const linked = await ctx.db
      .query("teams")
      .withIndex("by_chain_team", (q) => q.eq("chainTeam", chainTeam))
      .first();
    if (linked !== null) throw ledgerError("conflict", "this chain team account belongs to another team");
  }

  const now = Date.now();
  const teamId = await ctx.db.insert("teams", {
    name,
    ownerWallet: input.wallet,
    chainTeam,
    vault,
    tier,
    billingEmail,
    status: "active",
    createdAtMs: now,
  });
  await ctx.db.insert("members", {
    teamId,
    userId,
    wallet: input.wallet,
    email: ownerEmail,
    role: "owner",
    joinedAtMs: now,
  });
  await audit(ctx, { teamId, actor: input.wallet, action: "team.created", target: name, details: { tier } });
  return teamId;
}

export async function setBillingEmail(
  ctx: MutationCtx,
  team: Doc<"teams">,
  actor: string,
  billingEmail: string | null,
): Promise<void> {
  const email = billingEmail === null ? undefined : normalizeEmail(billingEmail, "billing email");
  await ctx.db.patch(team._id, { billingEmail: email });
  // Invoices held back for want of a recipient go out now (or queued ones wait when nobody is left).
  const requeued = await requeueForRecipients(ctx, team._id);
  await audit(ctx, {
    teamId: team._id,
    actor,
    action: "team.billing_email_updated",
    target: team.name,
    details: { billingEmail: email ?? null, invoicesMoved: requeued },
  });
}

export function teamView(team: Doc<"teams">) {
  return {
    teamId: team._id,
    name: team.name,
    ownerWallet: team.ownerWallet,
    chainTeam: team.chainTeam ?? null,
    vault: team.vault ?? null,
    tier: team.tier,
    tierName: tierTerms(team.tier).name,
    billingEmail: team.billingEmail ?? null,
    status: team.status,
    createdAtMs: team.createdAtMs,
  };
}

export function memberView(member: Doc<"members">) {
  return {
    memberId: member._id,
    userId: member.userId,
    wallet: member.wallet,
    email: member.email ?? null,
    role: member.role,
    allocation: member.allocation ?? null,
    joinedAtMs: member.joinedAtMs,
  };
}

export async function teamsOfWallet(ctx: QueryCtx, wallet: string) {
  const memberships = await ctx.db
    .query("members")
    .withIndex("by_wallet", (q) => q.eq("wallet", wallet))
    .collect();
  const teams = [];
  for (const member of memberships) {
    const team = await ctx.db.get(member.teamId);
    if (team !== null) teams.push({ ...teamView(team), role: member.role });
  }
  return teams;
}
