// The team page's data: members with their allocations, and invitations.
import type { TeamAccess } from "../auth/access";
import { api, fromLedger, ledger } from "../server/ledger";

export async function loadTeam(access: TeamAccess) {
  const scoped = ledger().as(access.wallet);
  const [members, invitations] = await Promise.all([
    fromLedger(() => scoped.query(api.members.list, { teamId: access.teamId })),
    fromLedger(() => scoped.query(api.invitations.list, { teamId: access.teamId })),
  ]);
  return { members, invitations };
}
