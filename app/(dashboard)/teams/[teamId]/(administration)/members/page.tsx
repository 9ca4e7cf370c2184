import type { Metadata } from "next";
import { InviteForm } from "../../../../../../components/team/invite-form";
import { MemberActions } from "../../../../../../components/team/member-actions";
import { RevokeInvitationButton } from "../../../../../../components/team/revoke-invitation-button";
import { ErrorState } from "../../../../../../components/ui/error-state";
import { mayManage, roleAllows } from "../../../../../../lib/auth/access";
import { pageTeamAccess } from "../../../../../../lib/auth/current";
import { loadTeam } from "../../../../../../lib/data/team";
import { formatCount, formatDate, ROLE_NAMES, shortAddress } from "../../../../../../lib/format/text";
import { formatUsdc } from "../../../../../../lib/format/usdc";
import { attempt } from "../../../../../../lib/server/attempt";

export const metadata: Metadata = { title: "Team" };

export default async function TeamPage({ params }: { params: Promise<{ teamId: string }> }) {
  const { teamId } = await params;
  const access = await pageTeamAccess(teamId, "viewTeamAdmin", `/teams/${teamId}/members`);
  const data = await attempt(() => loadTeam(access));
  const inviteRoles = (["admin", "member"] as const).filter((r) => mayManage(access.role, r));
  const canChangeRoles = roleAllows(access.role, "manageRoles");
  const canManage = roleAllows(access.role, "manageMembers");

  return (
    <>
      {roleAllows(access.role, "inviteMembers") ? (
        <div className="card">
          <h2>Invite someone</h2>
          <p className="small muted">
            {access.role === "owner" ? "Invite admins (who manage members and see usage) or members (who use the API)." : "Admins invite members."}
          </p>
          <InviteForm teamId={access.teamId} roles={[...inviteRoles]} />
        </div>
      ) : null}
      {!data.ok ? (
        <ErrorState error={data.error} title="We could not load the team" />
      ) : (
        <>
          <div className="card table-wrap">
            <h2>Members</h2>
            <table data-testid="members-table">
              <thead>
                <tr>
                  <th>Member</th>
                  <th>Role</th>
                  <th className="num">Requests this period</th>
                  <th className="num">Allocation used</th>
                  <th>Joined</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {data.value.members.map((m) => (
                  <tr key={m.memberId} data-member={m.wallet}>
                    <td>
                      <div className="mono">{m.userId.length > 20 ? shortAddress(m.userId, 6) : m.userId}</div>
                      <div className="small muted">
                        {m.email ?? ""} {m.wallet !== m.userId ? <span className="mono">{shortAddress(m.wallet)}</span> : null}
                        {m.wallet === access.wallet ? " (you)" : ""}
                      </div>
                    </td>
                    <td>{ROLE_NAMES[m.role]}</td>
                    <td className="num">{formatCount(m.periodRequests)}</td>
                    <td className="num">
                      {formatUsdc(m.allocationUsed)}
                      {m.allocation !== null ? ` of ${formatUsdc(m.allocation)}` : ""}
                    </td>
                    <td className="small">{formatDate(m.joinedAtMs)}</td>
                    <td>
                      <MemberActions
                        teamId={access.teamId}
                        memberId={m.memberId}
                        role={m.role}
                        canChangeRole={canChangeRoles && m.role !== "owner"}
                        canManage={canManage && mayManage(access.role, m.role)}
                        allocationText={m.allocation !== null ? formatUsdc(m.allocation, { decimals: 6, unit: false }).replace(/,/g, "") : ""}
                      />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div className="card table-wrap">
            <h2>Invitations</h2>
            {data.value.invitations.length === 0 ? (
              <p className="muted">No invitations yet.</p>
            ) : (
              <table data-testid="invitations-table">
                <thead>
                  <tr>
                    <th>E-mail</th>
                    <th>Role</th>
                    <th>Status</th>
                    <th>Expires</th>
                    <th />
                  </tr>
                </thead>
                <tbody>
                  {data.value.invitations.map((i) => (
                    <tr key={i.invitationId}>
                      <td>{i.email}</td>
                      <td>{ROLE_NAMES[i.role]}</td>
                      <td>
                        <span className={`badge ${i.status === "accepted" ? "badge-ok" : i.status === "pending" ? "badge-warn" : ""}`}>{i.status}</span>
                      </td>
                      <td className="small">{formatDate(i.expiresAtMs)}</td>
                      <td>
                        {i.status === "pending" && canManage && mayManage(access.role, i.role) ? (
                          <RevokeInvitationButton teamId={access.teamId} invitationId={i.invitationId} />
                        ) : null}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </div>
        </>
      )}
    </>
  );
}
