import type { ReactNode } from "react";
import { TeamNav } from "../../../../components/layout/team-nav";
import { TeamSwitcher } from "../../../../components/layout/team-switcher";
import { myTeams } from "../../../../lib/auth/access";
import { pageTeamAccess } from "../../../../lib/auth/current";
import { teamNavItems } from "../../../../lib/data/nav";
import { ROLE_NAMES } from "../../../../lib/format/text";

export default async function TeamLayout({ children, params }: { children: ReactNode; params: Promise<{ teamId: string }> }) {
  const { teamId } = await params;
  const access = await pageTeamAccess(teamId, "viewTeam");
  const teams = await myTeams(access.wallet).catch(() => []);
  return (
    <>
      <div className="page-title">
        <div>
          <h1 data-testid="team-name">{access.team.name}</h1>
          <p>
            {ROLE_NAMES[access.role]} · {access.team.tierName} tier
            {access.team.status === "suspended" ? " · suspended for unpaid debt" : ""}
          </p>
        </div>
        <TeamSwitcher
          teams={teams.map((t) => ({ teamId: t.teamId, name: t.name, role: ROLE_NAMES[t.role] }))}
          currentTeamId={access.teamId}
        />
      </div>
      <TeamNav items={teamNavItems(access.teamId, access.role)} />
      {children}
    </>
  );
}
