import type { Metadata } from "next";
import { CreateKeyForm } from "../../../../../../components/keys/create-key-form";
import { RevokeKeyButton } from "../../../../../../components/keys/revoke-key-button";
import { EmptyState } from "../../../../../../components/ui/empty-state";
import { ErrorState } from "../../../../../../components/ui/error-state";
import { roleAllows } from "../../../../../../lib/auth/access";
import { pageTeamAccess } from "../../../../../../lib/auth/current";
import { formatDateTime } from "../../../../../../lib/format/text";
import { attempt } from "../../../../../../lib/server/attempt";
import { api, fromLedger, ledger } from "../../../../../../lib/server/ledger";

export const metadata: Metadata = { title: "API keys" };

export default async function KeysPage({ params }: { params: Promise<{ teamId: string }> }) {
  const { teamId } = await params;
  const access = await pageTeamAccess(teamId, "viewTeamAdmin", `/teams/${teamId}/keys`);
  const keys = await attempt(() => fromLedger(() => ledger().as(access.wallet).query(api.apiKeys.list, { teamId: access.teamId })));
  const canManage = roleAllows(access.role, "manageKeys");
  return (
    <>
      {canManage ? (
        <div className="card">
          <h2>Create a key</h2>
          <CreateKeyForm teamId={access.teamId} />
        </div>
      ) : (
        <p className="muted">Only the team&apos;s owner can create or revoke keys.</p>
      )}
      {!keys.ok ? (
        <ErrorState error={keys.error} title="We could not load the API keys" />
      ) : keys.value.length === 0 ? (
        <div className="card">
          <EmptyState title="No API keys yet">
            <p>{canManage ? "Create one above to start calling the API." : "The owner has not created one yet."}</p>
          </EmptyState>
        </div>
      ) : (
        <div className="card table-wrap">
          <table data-testid="keys-table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Key</th>
                <th>Created</th>
                <th>Last used</th>
                <th>Status</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {keys.value.map((k) => (
                <tr key={k.keyId}>
                  <td>{k.name}</td>
                  <td className="mono">{k.prefix}…</td>
                  <td className="small">{formatDateTime(k.createdAtMs)}</td>
                  <td className="small">{k.lastUsedAtMs ? formatDateTime(k.lastUsedAtMs) : "never"}</td>
                  <td>
                    <span className={`badge ${k.revoked ? "badge-danger" : "badge-ok"}`}>{k.revoked ? "revoked" : "active"}</span>
                  </td>
                  <td>{canManage && !k.revoked ? <RevokeKeyButton teamId={access.teamId} keyId={k.keyId} prefix={k.prefix} /> : null}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
