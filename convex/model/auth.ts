// Access from servers: every public function takes the server secret (compared in constant time with
// LEDGER_SERVER_SECRET) and, for user actions, the acting wallet whose role in the team is checked here.
import type { Doc, Id } from "../_generated/dataModel";
import type { QueryCtx } from "../_generated/server";
import { constantTimeEqual } from "./crypto";
import { ledgerError } from "./errors";
import { requireAddress } from "./format";
import { roleAllows, type Permission } from "./roles";

/** Secrets shorter than this are refused as a configuration error (16 bytes of hex or base64). */
const MIN_SECRET_LENGTH = 16;

/** Refuses the call unless `secret` equals the deployment's LEDGER_SERVER_SECRET. */
export function requireServer(auth: { secret: string }): void {
  const expected = process.env.LEDGER_SERVER_SECRET;
  if (expected === undefined || expected.length < MIN_SECRET_LENGTH) {
    throw ledgerError("unauthorized", "LEDGER_SERVER_SECRET is not configured on the ledger");
  }
  if (!constantTimeEqual(auth.secret, expected)) throw ledgerError("unauthorized", "wrong server secret");
}

/** Checks the secret and the wallet's format; returns the wallet. */
export function requireActor(auth: { secret: string; wallet: string }): string {
  requireServer(auth);
  return requireAddress(auth.wallet, "acting wallet");
}

export async function getTeamOrThrow(ctx: QueryCtx, teamId: Id<"teams">): Promise<Doc<"teams">> {
  const team = await ctx.db.get(teamId);
  if (team === null) throw ledgerError("not_found", "team not found");
  return team;
}

export async function findMember(
  ctx: QueryCtx,
  teamId: Id<"teams">,
  wallet: string,
): Promise<Doc<"members"> | null> {
  return await ctx.db
    .query("members")
    .withIndex("by_team_wallet", (q) => q.eq("teamId", teamId).eq("wallet", wallet))
    .unique();
}

export type Access = { wallet: string; team: Doc<"teams">; member: Doc<"members"> };

/**
 * The single access check of user actions: valid secret, existing team, the acting wallet is a member,
 * and its role has `permission`.
 */
export async function requireTeamAccess(
  ctx: QueryCtx,
  auth: { secret: string; wallet: string },
  teamId: Id<"teams">,
  permission: Permission,
): Promise<Access> {
  const wallet = requireActor(auth);
  const team = await getTeamOrThrow(ctx, teamId);
  const member = await findMember(ctx, teamId, wallet);
  if (member === null) throw ledgerError("forbidden", "the acting wallet is not a member of this team");
  if (!roleAllows(member.role, permission)) {
    throw ledgerError("forbidden", `the ${member.role} role may not ${permission}`);
  }
  return { wallet, team, member };
}
