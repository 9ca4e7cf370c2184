// Role checks for every dashboard page, route and action. The table is the ledger's own
// (convex/model/roles.ts, the role table), imported rather than copied so the two can never
// disagree; the ledger checks again on every call, so a control hidden in the UI is never the protection.
import type { FunctionReturnType } from "convex/server";
import type { Id } from "../../convex/_generated/dataModel";
import { mayManage, Permission, roleAllows } from "../../convex/model/roles";
import type { Role } from "../../convex/model/validators";
import { AppError } from "../errors";
import { api, fromLedger, ledger } from "../server/ledger";

export { mayManage, Permission, roleAllows, type Role };

export type TeamView = FunctionReturnType<typeof api.teams.get>["team"];
export type MemberView = FunctionReturnType<typeof api.teams.get>["me"];
export type MyTeam = FunctionReturnType<typeof api.teams.listMine>[number];

export interface TeamAccess {
  wallet: string;
  teamId: Id<"teams">;
  team: TeamView;
  me: MemberView;
  role: Role;
}

/** What each permission means to a user, for refusals ("Only the team owner can …"). */
const REFUSALS: Record<Permission, string> = {
  inviteMembers: "Only the team's owner and admins can invite members.",
  accessApi: "Only members of this team can use its API.",
  viewUsage: "Only the team's owner and admins can see its balance, usage, billing history and invoices.",
  generateInvoices: "Only the team's owner can generate invoices.",
  manageRoles: "Only the team's owner can change roles.",
  manageKeys: "Only the team's owner can create or revoke API keys.",
  viewTeamAdmin: "Only the team's owner and admins can see members, invitations and API keys.",
  manageMembers: "Only the team's owner and admins can manage members.",
  manageTeam: "Only the team's owner can change the team's settings.",
  viewTeam: "Only members of this team can open it.",
};

export function refusalFor(permission: Permission): string {
  return REFUSALS[permission];
}

/** Ledger document ids: 16–64 letters and digits (Convex's base32 ids, the embedded engine's padded ones). */
export function requireTeamId(value: string): Id<"teams"> {
  if (!/^[a-z0-9]{16,64}$/i.test(value)) throw new AppError("not_found", "There is no such team.");
  return value as Id<"teams">;
}

/**
 * The team and the wallet's membership, when its role has `permission`; else AppError 403 (not a member,
 * or the role is refused) or 404 (no such team).
 */
export async function requireTeamAccess(
  wallet: string,
  teamIdText: string,
  permission: Permission,
  readTeam: (wallet: string, teamId: Id<"teams">) => Promise<FunctionReturnType<typeof api.teams.get>> = readTeamFromLedger,
): Promise<TeamAccess> {
  const teamId = requireTeamId(teamIdText);
  const { team, me } = await readTeam(wallet, teamId);
  if (!roleAllows(me.role, permission)) throw new AppError("forbidden", refusalFor(permission), permission);
  return { wallet, teamId, team, me, role: me.role };
}

/** The team and the wallet's membership as the ledger has them now (it refuses non-members). */
export function readTeamFromLedger(wallet: string, teamId: Id<"teams">) {
  return fromLedger(() => ledger().as(wallet).query(api.teams.get, { teamId }));
}

/** Teams the wallet belongs to, with its role in each. */
export async function myTeams(wallet: string): Promise<MyTeam[]> {
  return fromLedger(() => ledger().as(wallet).query(api.teams.listMine, {}));
}
