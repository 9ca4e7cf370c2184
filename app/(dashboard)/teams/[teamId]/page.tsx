import { pageTeamAccess } from "../../../../lib/auth/current";

export default async function OverviewPage({ params }: { params: Promise<{ teamId: string }> }) {
  const { teamId } = await params;
  const access = await pageTeamAccess(teamId, "viewTeam");
  return <div className="card">Overview of {access.team.name}</div>;
}
