import type { Metadata } from "next";
import Link from "next/link";
import { CreateTeamForm } from "../../../components/teams/create-team-form";
import { EmptyState } from "../../../components/ui/empty-state";
import { ErrorState } from "../../../components/ui/error-state";
import { myTeams } from "../../../lib/auth/access";
import { requirePageSession } from "../../../lib/auth/current";
import { ROLE_NAMES } from "../../../lib/format/text";
import { attempt } from "../../../lib/server/attempt";
import { tierOptions } from "../../../lib/data/tiers";

export const metadata: Metadata = { title: "Teams" };

export default async function TeamsPage() {
  const session = await requirePageSession("/teams");
  const teams = await attempt(() => myTeams(session.wallet));
  const ownsTeam = teams.ok && teams.value.some((t) => t.role === "owner");
  return (
    <>
      <div className="page-title">
        <div>
          <h1>Your teams</h1>
          <p>Teams this wallet belongs to. Pick one to see its balance and usage.</p>
        </div>
      </div>
      {!teams.ok ? (
        <ErrorState error={teams.error} />
      ) : teams.value.length === 0 ? (
        <div className="card">
          <EmptyState title="You are not in a team yet">
            <p>Create one below, or open the invite link a team owner sent you.</p>
          </EmptyState>
        </div>
      ) : (
        <div className="card table-wrap">
          <table>
            <thead>
              <tr>
                <th>Team</th>
                <th>Your role</th>
                <th>Tier</th>
                <th>Status</th>
              </tr>
            </thead>
            <tbody>
              {teams.value.map((t) => (
                <tr key={t.teamId}>
                  <td>
                    <Link href={`/teams/${t.teamId}`}>{t.name}</Link>
                  </td>
                  <td>{ROLE_NAMES[t.role]}</td>
                  <td>{t.tierName}</td>
                  <td>
                    <span className={`badge ${t.status === "active" ? "badge-ok" : "badge-danger"}`}>{t.status}</span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {!ownsTeam ? (
        <div className="card">
          <h2>Create a team</h2>
          <p className="muted small">
            Your wallet becomes the team&apos;s owner. A wallet owns at most one team, because the billing program keeps one account per
            owner.
          </p>
          <CreateTeamForm tiers={await tierOptions()} />
        </div>
      ) : null}
    </>
  );
}
