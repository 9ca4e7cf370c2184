import type { Metadata } from "next";
import Link from "next/link";
import { UsageCharts } from "../../../../../../components/usage/usage-charts";
import { EmptyState } from "../../../../../../components/ui/empty-state";
import { ErrorState } from "../../../../../../components/ui/error-state";
import { pageTeamAccess } from "../../../../../../lib/auth/current";
import { costPerRequest, loadUsage, USAGE_WINDOWS, usageWindow } from "../../../../../../lib/data/usage";
import { countOf, formatCount, ROLE_NAMES, shortAddress } from "../../../../../../lib/format/text";
import { formatUsdc, formatUsdcExact } from "../../../../../../lib/format/usdc";
import { attempt } from "../../../../../../lib/server/attempt";

export const metadata: Metadata = { title: "Usage" };

export default async function UsagePage({ params, searchParams }: { params: Promise<{ teamId: string }>; searchParams: Promise<{ days?: string }> }) {
  const { teamId } = await params;
  const days = usageWindow((await searchParams).days);
  const access = await pageTeamAccess(teamId, "viewUsage", `/teams/${teamId}/usage`);
  const usage = await attempt(() => loadUsage(access, days));

  return (
    <>
      <div className="row" style={{ marginBottom: "1rem" }} role="group" aria-label="Period">
        {USAGE_WINDOWS.map((d) => (
          <Link key={d} href={`/teams/${access.teamId}/usage?days=${d}`} className={`btn btn-small ${d === days ? "btn-primary" : ""}`} aria-current={d === days ? "true" : undefined}>
            {d} days
          </Link>
        ))}
      </div>
      {!usage.ok ? (
        <ErrorState error={usage.error} title="We could not load the usage" />
      ) : (
        <>
          <div className="grid">
            <div className="card">
              <div className="stat-label">Requests, last {days} days</div>
              <div className="stat-value" data-testid="usage-total-requests">
                {formatCount(usage.value.analytics.totals.requests)}
              </div>
            </div>
            <div className="card">
              <div className="stat-label">Cost, last {days} days</div>
              <div className="stat-value">{formatUsdc(usage.value.analytics.totals.cost)}</div>
              <div className="stat-note">{formatUsdc(usage.value.analytics.averagePerDay.cost)} a day on average</div>
            </div>
          </div>
          {usage.value.analytics.totals.requests === 0 ? (
            <div className="card">
              <EmptyState title={`No requests in the last ${days} days`}>
                <p>Requests made with the team&apos;s API keys appear here once they are settled.</p>
              </EmptyState>
            </div>
          ) : (
            <UsageCharts daily={usage.value.analytics.daily.map((d) => ({ day: d.day, requests: d.requests, cost: Number(d.cost) }))} />
          )}

          <div className="card table-wrap">
            <h2>By endpoint</h2>
            {usage.value.endpoints.length === 0 ? (
              <p className="muted">No endpoint was called in this period.</p>
            ) : (
              <table data-testid="endpoint-breakdown">
                <thead>
                  <tr>
                    <th>Endpoint</th>
                    <th className="num">Requests</th>
                    <th className="num">Cost</th>
                    <th className="num">Cost per request</th>
                  </tr>
                </thead>
                <tbody>
                  {usage.value.endpoints.map((e) => (
                    <tr key={e.endpoint}>
                      <td className="mono">{e.endpoint}</td>
                      <td className="num">{formatCount(e.requests)}</td>
                      <td className="num">{formatUsdc(e.cost)}</td>
                      <td className="num">{formatUsdcExact(costPerRequest(e.cost, e.requests))}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </div>

          <div className="card table-wrap">
            <h2>By member</h2>
            <table data-testid="member-breakdown">
              <thead>
                <tr>
                  <th>Member</th>
                  <th>Role</th>
                  <th className="num">Requests</th>
                  <th className="num">Cost</th>
                  <th className="num">Allocation used this period</th>
                </tr>
              </thead>
              <tbody>
                {usage.value.members.map((m) => (
                  <tr key={m.userId}>
                    <td>
                      <span className="mono">{m.userId.length > 20 ? shortAddress(m.userId, 6) : m.userId}</span>
                    </td>
                    <td>{m.role ? ROLE_NAMES[m.role] : "—"}</td>
                    <td className="num">{formatCount(m.requests)}</td>
                    <td className="num">{formatUsdc(m.cost)}</td>
                    <td className="num">
                      {formatUsdc(m.allocationUsed)}
                      {m.allocation !== null ? ` of ${formatUsdc(m.allocation)}` : " (no limit)"}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>

          <div className="card">
            <h2>Top users</h2>
            {usage.value.top.length === 0 ? (
              <p className="muted">Nobody made paid requests in this period.</p>
            ) : (
              <ol data-testid="top-users">
                {usage.value.top.map((u) => (
                  <li key={u.userId}>
                    <span className="mono">{u.userId.length > 20 ? shortAddress(u.userId, 6) : u.userId}</span>: {countOf(u.requests, "request")},{" "}
                    {formatUsdc(u.cost)}
                  </li>
                ))}
              </ol>
            )}
          </div>
        </>
      )}
    </>
  );
}
