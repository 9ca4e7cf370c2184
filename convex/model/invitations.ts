// Invitations: a random token returned once (the ledger stores its sha256), valid for 7 days, usable once.
import type { Doc, Id } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import { audit } from "./audit";
import type { Access } from "./auth";
import { randomSecret, sha256Hex } from "./crypto";
import { ledgerError } from "./errors";
import { normalizeEmail, requireMemberUserId } from "./format";
import { mayManage } from "./roles";

export const TOKEN_PREFIX = "inv_";
/** How long an invitation can be used: 7 days, in milliseconds. */
export const INVITATION_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export type GrantableRole = "admin" | "member";

export async function invite(ctx: MutationCtx, access: Access, email: string, role: GrantableRole) {
  // Admins may invite Members only; only the Owner brings in Admins.
  if (!mayManage(access.member.role, role)) throw ledgerError("forbidden", `the ${access.member.role} role may not invite an ${role}`);
  const address = normalizeEmail(email);
  const token = randomSecret(TOKEN_PREFIX);
  const expiresAtMs = Date.now() + INVITATION_TTL_MS;
  const invitationId = await ctx.db.insert("invitations", {
    teamId: access.team._id,
    tokenHash: await sha256Hex(token),
    email: address,
    role,
    inviterWallet: access.wallet,
    expiresAtMs,
  });
  await audit(ctx, {
    teamId: access.team._id,
    actor: access.wallet,
    action: "invitation.created",
    target: address,
    details: { role },
  });
  return { invitationId, token, expiresAtMs };
}

export type InvitationStatus = "pending" | "accepted" | "revoked" | "expired";

export function invitationStatus(invitation: Doc<"invitations">, nowMs: number): InvitationStatus {
  if (invitation.acceptedAtMs !== undefined) return "accepted";
  if (invitation.revokedAtMs !== undefined) return "revoked";
  if (nowMs >= invitation.expiresAtMs) return "expired";
  return "pending";
}

export async function join(
  ctx: MutationCtx,
  wallet: string,
  token: string,
  userIdArg: string | undefined,
): Promise<{ teamId: Id<"teams">; memberId: Id<"members">; role: GrantableRole }> {
  if (token.length === 0 || token.length > 200) throw ledgerError("invalid_argument", "malformed invitation token");
  const userId = requireMemberUserId(userIdArg ?? wallet);
  const tokenHash = await sha256Hex(token);
  const invitation = await ctx.db
    .query("invitations")
    .withIndex("by_token_hash", (q) => q.eq("tokenHash", tokenHash))
    .unique();
  if (invitation === null) throw ledgerError("not_found", "invitation not found");
  const status = invitationStatus(invitation, Date.now());
  if (status === "accepted") throw ledgerError("conflict", "this invitation has already been used");
  if (status === "revoked") throw ledgerError("conflict", "this invitation was revoked");
  if (status === "expired") throw ledgerError("expired", "this invitation has expired");
  const team = await ctx.db.get(invitation.teamId);
  if (team === null) throw ledgerError("not_found", "team not found");

  const existing = await ctx.db
    .query("members")
    .withIndex("by_team_wallet", (q) => q.eq("teamId", team._id).eq("wallet", wallet))
    .unique();
  if (existing !== null) throw ledgerError("conflict", "this wallet is already a member of the team");
  const sameUser = await ctx.db
    .query("members")
    .withIndex("by_team_user", (q) => q.eq("teamId", team._id).eq("userId", userId))
    .unique();
  if (sameUser !== null) throw ledgerError("conflict", `userId "${userId}" is taken in this team`);

  const now = Date.now();
  const memberId = await ctx.db.insert("members", {
    teamId: team._id,
    userId,
    wallet,
    email: invitation.email,
    role: invitation.role,
    joinedAtMs: now,
  });
  await ctx.db.patch(invitation._id, { acceptedAtMs: now, acceptedByWallet: wallet });
  await audit(ctx, {
    teamId: team._id,
    actor: wallet,
    action: "invitation.accepted",
    target: invitation.email,
    details: { role: invitation.role, userId },
  });
  return { teamId: team._id, memberId, role: invitation.role };
}

export async function listInvitations(ctx: QueryCtx, teamId: Id<"teams">) {
  const nowMs = Date.now();
  const rows = await ctx.db
    .query("invitations")
    .withIndex("by_team", (q) => q.eq("teamId", teamId))
    .order("desc")
    .collect();
  return rows.map((row) => ({
    invitationId: row._id,
    email: row.email,
    role: row.role,
    inviterWallet: row.inviterWallet,
    expiresAtMs: row.expiresAtMs,
    status: invitationStatus(row, nowMs),
    acceptedByWallet: row.acceptedByWallet ?? null,
  }));
}

export async function revokeInvitation(ctx: MutationCtx, access: Access, invitationId: Id<"invitations">) {
  const invitation = await ctx.db.get(invitationId);
  if (invitation === null || invitation.teamId !== access.team._id) throw ledgerError("not_found", "invitation not found in this team");
  if (!mayManage(access.member.role, invitation.role)) {
    throw ledgerError("forbidden", `the ${access.member.role} role may not revoke an invitation for an ${invitation.role}`);
  }
  if (invitation.acceptedAtMs !== undefined) throw ledgerError("conflict", "this invitation has already been used");
  if (invitation.revokedAtMs !== undefined) return;
  await ctx.db.patch(invitation._id, { revokedAtMs: Date.now() });
  await audit(ctx, {
    teamId: access.team._id,
    actor: access.wallet,
    action: "invitation.revoked",
    target: invitation.email,
    details: { role: invitation.role },
  });
}
