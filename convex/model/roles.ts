// Who may do what, exactly as the role table says (Owner / Admin / Member):
//   invite members ✅ ✅ ❌ · access the API ✅ ✅ ✅ · view usage ✅ ✅ ❌ · generate invoices ✅ ❌ ❌.
// Owners also manage roles, keys and allocations; Admins may manage Members but never Owners
// (nor other Admins), which `mayManage` decides per target.
import type { Role } from "./validators";

export const Permission = {
  inviteMembers: ["owner", "admin"],
  accessApi: ["owner", "admin", "member"],
  viewUsage: ["owner", "admin"],
  generateInvoices: ["owner"],
  /** Change a member's role. */
  manageRoles: ["owner"],
  /** Create and revoke API keys. */
  manageKeys: ["owner"],
  /** See key prefixes, members, invitations and the audit log. */
  viewTeamAdmin: ["owner", "admin"],
  /** Remove members, revoke invitations, set allocations — on targets `mayManage` allows. */
  manageMembers: ["owner", "admin"],
  /** Rename billing e-mail and other team settings. */
  manageTeam: ["owner"],
  /** Read the team's name, tier and one's own membership. */
  viewTeam: ["owner", "admin", "member"],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof Permission;

export function roleAllows(role: Role, permission: Permission): boolean {
  return (Permission[permission] as readonly Role[]).includes(role);
}

/** Whether an actor of role `actor` may act on (remove, re-budget, revoke an invitation for) `target`. */
export function mayManage(actor: Role, target: Role): boolean {
  if (actor === "owner") return target !== "owner";
  if (actor === "admin") return target === "member";
  return false;
}
