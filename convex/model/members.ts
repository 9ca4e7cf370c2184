// Members: list with allocation use, change role (Owner), remove and set allocations (Owner, or Admin on
// Members). The Owner — the wallet that owns the team on chain — can be neither removed nor demoted.
import type { Doc, Id } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import { evaluateAllocationAlert } from "./alerts";
import { audit } from "./audit";
import type { Access } from "./auth";
import { ledgerError } from "./errors";
import { requireU64 } from "./format";
import { currentPeriodStart, memberPeriodUsage } from "./periods";
import { mayManage } from "./roles";
import { memberView } from "./teams";

async function targetMember(ctx: QueryCtx, access: Access, memberId: Id<"members">): Promise<Doc<"members">> {
  const target = await ctx.db.get(memberId);
  if (target === null || target.teamId !== access.team._id) throw ledgerError("not_found", "member not found in this team");
  return target;
}

export async function listMembers(ctx: QueryCtx, teamId: Id<"teams">) {
  const periodStart = await currentPeriodStart(ctx, teamId, Date.now());
  const used = await memberPeriodUsage(ctx, teamId, periodStart);
  const members = await ctx.db
    .query("members")
    .withIndex("by_team_user", (q) => q.eq("teamId", teamId))
    .collect();
  return members.map((m) => ({
    ...memberView(m),
    periodStart,
    periodRequests: used.get(m.userId)?.requests ?? 0,
    allocationUsed: used.get(m.userId)?.cost ?? 0n,
  }));
}

export async function changeRole(ctx: MutationCtx, access: Access, memberId: Id<"members">, role: "admin" | "member") {
  const target = await targetMember(ctx, access, memberId);
  if (!mayManage(access.member.role, target.role)) throw ledgerError("forbidden", `the ${target.role} role cannot be changed`);
  if (target.role === role) return memberView(target);
  await ctx.db.patch(target._id, { role });
  await audit(ctx, {
    teamId: access.team._id,
    actor: access.wallet,
    action: "member.role_changed",
    target: target.userId,
    details: { from: target.role, to: role },
  });
  return memberView({ ...target, role });
}

export async function removeMember(ctx: MutationCtx, access: Access, memberId: Id<"members">) {
  const target = await targetMember(ctx, access, memberId);
  if (!mayManage(access.member.role, target.role)) {
    throw ledgerError("forbidden", `the ${access.member.role} role may not remove an ${target.role}`);
  }
  await ctx.db.delete(target._id);
  await audit(ctx, {
    teamId: access.team._id,
    actor: access.wallet,
    action: "member.removed",
    target: target.userId,
    details: { role: target.role, wallet: target.wallet },
  });
}

/** Sets a member's per-period budget in base units, or removes the limit with null. */
export async function setAllocation(ctx: MutationCtx, access: Access, memberId: Id<"members">, allocation: bigint | null) {
  const target = await targetMember(ctx, access, memberId);
  // The Owner budgets anyone, itself included; an Admin budgets Members only.
  if (access.member.role !== "owner" && !mayManage(access.member.role, target.role)) {
    throw ledgerError("forbidden", `the ${access.member.role} role may not set the allocation of an ${target.role}`);
  }
  if (allocation !== null) requireU64(allocation, "allocation");
  await ctx.db.patch(target._id, { allocation: allocation ?? undefined });
  await audit(ctx, {
    teamId: access.team._id,
    actor: access.wallet,
    action: "member.allocation_set",
    target: target.userId,
    details: { from: target.allocation ?? null, to: allocation },
  });
  await evaluateAllocationAlert(ctx, access.team._id, target.userId, allocation ?? undefined);
  return memberView({ ...target, allocation: allocation ?? undefined });
}
