// Team administration routes: API keys, invitations, members and allocations. Each checks the role
// table (lib/auth/access.ts) before calling the ledger, which checks again — including which targets a
// role may act on (an Admin manages Members only; nobody demotes or removes the Owner).
import type { Id } from "../../convex/_generated/dataModel";
import { requireTeamAccess } from "../auth/access";
import { AppError } from "../errors";
import { api, fromLedger, ledger } from "../server/ledger";
import { json, readJson, requestOrigin, requireAction } from "../server/route";
import { optionalString, requireOneOf, requireString, requireUsdcAmount } from "./validate";

type TeamParams = { teamId: string };

function requireDocId<T extends "apiKeys" | "members" | "invitations">(value: string, what: string): Id<T> {
  if (!/^[a-z0-9]{16,64}$/i.test(value)) throw new AppError("not_found", `There is no such ${what}.`);
  return value as Id<T>;
}

// ---- API keys ---------------------------------------------------------------------------------------

/** POST {name} → {keyId, key, prefix}; the key is shown once and never stored in clear. Owner only. */
export async function postApiKey(req: Request, { teamId }: TeamParams): Promise<Response> {
  const session = requireAction(req);
  const body = await readJson(req);
  const access = await requireTeamAccess(session.wallet, teamId, "manageKeys");
  const name = requireString(body.name, "a name for the key", 64);
  const created = await fromLedger(() => ledger().as(session.wallet).mutation(api.apiKeys.create, { teamId: access.teamId, name }));
  return json(created, 201);
}

/** DELETE → the revoked key's view. Owner only. */
export async function deleteApiKey(req: Request, { teamId, keyId }: TeamParams & { keyId: string }): Promise<Response> {
  const session = requireAction(req);
  const access = await requireTeamAccess(session.wallet, teamId, "manageKeys");
  const key = await fromLedger(() =>
    ledger().as(session.wallet).mutation(api.apiKeys.revoke, { teamId: access.teamId, keyId: requireDocId<"apiKeys">(keyId, "API key") }),
  );
  return json(key);
}

// ---- invitations ------------------------------------------------------------------------------------

/** POST {email, role} → {invitationId, link, expiresAtMs}. Owner (admins, members) and Admin (members). */
export async function postInvitation(req: Request, { teamId }: TeamParams): Promise<Response> {
  const session = requireAction(req);
  const body = await readJson(req);
  const access = await requireTeamAccess(session.wallet, teamId, "inviteMembers");
  const email = requireString(body.email, "an e-mail address", 254);
  const role = requireOneOf(body.role, ["admin", "member"] as const, "a role");
  const created = await fromLedger(() => ledger().as(session.wallet).mutation(api.invitations.create, { teamId: access.teamId, email, role }));
  return json(
    { invitationId: created.invitationId, expiresAtMs: created.expiresAtMs, link: `${requestOrigin(req)}/invite/${encodeURIComponent(created.token)}` },
    201,
  );
}

/** DELETE → revokes a pending invitation. Owner and Admin. */
export async function deleteInvitation(req: Request, { teamId, invitationId }: TeamParams & { invitationId: string }): Promise<Response> {
  const session = requireAction(req);
  const access = await requireTeamAccess(session.wallet, teamId, "manageMembers");
  const result = await fromLedger(() =>
    ledger()
      .as(session.wallet)
      .mutation(api.invitations.revoke, { teamId: access.teamId, invitationId: requireDocId<"invitations">(invitationId, "invitation") }),
  );
  return json(result ?? { revoked: true });
}

/** POST {token, userId?} → {teamId, role}: the signed-in wallet joins the team. */
export async function postAcceptInvitation(req: Request): Promise<Response> {
  const session = requireAction(req);
  const body = await readJson(req);
  const token = requireString(body.token, "the invitation", 200);
  const userId = optionalString(body.userId, "a user id", 64);
  const joined = await fromLedger(() => ledger().as(session.wallet).mutation(api.invitations.join, { token, ...(userId ? { userId } : {}) }));
  return json(joined);
}

// ---- members ----------------------------------------------------------------------------------------

/**
 * PATCH {role} (Owner: change a role) or {allocation: "12.5" | null} (Owner and Admin: a member's budget
 * per period in USDC; null removes it) → the member's view.
 */
export async function patchMember(req: Request, { teamId, memberId }: TeamParams & { memberId: string }): Promise<Response> {
  const session = requireAction(req);
  const body = await readJson(req);
  const id = requireDocId<"members">(memberId, "member");
  if ("role" in body) {
    const access = await requireTeamAccess(session.wallet, teamId, "manageRoles");
    const role = requireOneOf(body.role, ["admin", "member"] as const, "a role");
    return json(await fromLedger(() => ledger().as(session.wallet).mutation(api.members.changeRole, { teamId: access.teamId, memberId: id, role })));
  }
  if ("allocation" in body) {
    const access = await requireTeamAccess(session.wallet, teamId, "manageMembers");
    const allocation = body.allocation === null || body.allocation === "" ? null : requireUsdcAmount(body.allocation, "the allocation", { allowZero: true });
    return json(
      await fromLedger(() => ledger().as(session.wallet).mutation(api.members.setAllocation, { teamId: access.teamId, memberId: id, allocation })),
    );
  }
  throw new AppError("invalid_argument", "Say what to change: a role or an allocation.");
}

/** DELETE → removes a member. Owner (anyone but the Owner) and Admin (Members). */
export async function deleteMember(req: Request, { teamId, memberId }: TeamParams & { memberId: string }): Promise<Response> {
  const session = requireAction(req);
  const access = await requireTeamAccess(session.wallet, teamId, "manageMembers");
  await fromLedger(() => ledger().as(session.wallet).mutation(api.members.remove, { teamId: access.teamId, memberId: requireDocId<"members">(memberId, "member") }));
  return json({ removed: true });
}
