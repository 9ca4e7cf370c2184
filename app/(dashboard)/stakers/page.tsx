import type { Metadata } from "next";
import Link from "next/link";
import { RevenueChart } from "../../../components/stakers/revenue-chart";
import { ErrorState } from "../../../components/ui/error-state";
import { requirePageSession } from "../../../lib/auth/current";
import { loadStakerRevenue, MAX_SCANNED } from "../../../lib/data/stakers";
import { USAGE_WINDOWS, usageWindow } from "../../../lib/data/usage";
import { formatCount } from "../../../lib/format/text";
import { formatUsdc } from "../../../lib/format/usdc";
import { attempt } from "../../../lib/server/attempt";

export const metadata: Metadata = { title: "Stakers" };

export default async function StakersPage({ searchParams }: { searchParams: Promise<{ days?: string }> }) {
  await requirePageSession("/stakers");
  const days = usageWindow((await searchParams).days);
  const revenue = await attempt(() => loadStakerRevenue(days));
  return (
    <>
      <div className="page-title">
        <div>
          <h1>Stakers&apos; revenue</h1>
          <p>
            What the staker pool received, from the program&apos;s RevenueDistributed events: 10% of base fees and all overage (usage beyond
            the included requests).
          </p>
        </div>
        <div className="row" role="group" aria-label="Period">
          {USAGE_WINDOWS.map((d) => (
            <Link key={d} href={`/stakers?days=${d}`} className={`btn btn-small ${d === days ? "btn-primary" : ""}`}>
              {d} days
            </Link>
          ))}
        </div>
      </div>
      {!revenue.ok ? (
        <ErrorState error={revenue.error} title="We could not read the staker pool's revenue" />
      ) : (
        <>
          {revenue.value.truncated ? (
            <div className="banner banner-orange">Only the latest {formatCount(MAX_SCANNED)} transactions were read; older days may be incomplete.</div>
          ) : null}
          <div className="grid">
            <div className="card">
              <div className="stat-label">Stakers, last {days} days</div>
              <div className="stat-value" data-testid="stakers-total">
                {formatUsdc(revenue.value.totals.total)}
              </div>
            </div>
            <div className="card">
              <div className="stat-label">From base fees</div>
              <div className="stat-value">{formatUsdc(revenue.value.totals.baseFee)}</div>
            </div>
            <div className="card">
              <div className="stat-label">From overage</div>
              <div className="stat-value">{formatUsdc(revenue.value.totals.overage)}</div>
            </div>
            <div className="card">
              <div className="stat-label">Treasury, same period</div>
              <div className="stat-value">{formatUsdc(revenue.value.totals.treasury)}</div>
            </div>
          </div>
          <div className="card">
            <h2>Per day</h2>
            <RevenueChart
              data={revenue.value.days.map((d) => ({ day: d.day, baseFee: Number(d.baseFee), overage: Number(d.overage), debt: Number(d.debt) }))}
            />
          </div>
          <div className="card table-wrap">
            <table data-testid="stakers-table">
              <thead>
                <tr>
                  <th>Day (UTC)</th>
                  <th className="num">Base fees</th>
                  <th className="num">Overage</th>
                  <th className="num">Debt collected</th>
                  <th className="num">Total</th>
                </tr>
              </thead>
              <tbody>
                {[...revenue.value.days]
                  .reverse()
                  .filter((d) => d.total > 0n)
                  .map((d) => (
                    <tr key={d.day}>
                      <td>{d.day}</td>
                      <td className="num">{formatUsdc(d.baseFee)}</td>
                      <td className="num">{formatUsdc(d.overage)}</td>
                      <td className="num">{formatUsdc(d.debt)}</td>
                      <td className="num">{formatUsdc(d.total)}</td>
                    </tr>
                  ))}
              </tbody>
            </table>
            {revenue.value.totals.total === 0n ? <p className="muted">No revenue reached the staker pool in this period.</p> : null}
          </div>
        </>
      )}
    </>
  );
}
