import type { QuotaView } from "../../lib/data/runway";
import { formatCount, formatDate } from "../../lib/format/text";

export function QuotaCard({ quota, periodEnd }: { quota: QuotaView; periodEnd: bigint | null }) {
  const width = Math.min(quota.percent, 100);
  const tone = quota.percent >= 100 ? "progress-danger" : quota.percent >= 80 ? "progress-warn" : "";
  return (
    <div className="card" data-testid="quota-card">
      <h2>Requests this period</h2>
      <div className="stat-value">
        {formatCount(quota.used)} <span className="small muted">of {formatCount(quota.included)} included</span>
      </div>
      <div
        className={`progress ${tone}`}
        role="progressbar"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={width}
        aria-label="Included requests used"
      >
        <span style={{ width: `${width}%` }} />
      </div>
      <p className="small muted">
        {quota.percent}% used{periodEnd !== null ? ` · period ends ${formatDate(Number(periodEnd) * 1000)}` : ""}. Requests beyond the included
        ones are charged per request.
      </p>
      {quota.suggestUpgrade ? (
        <p className="small" data-testid="upgrade-prompt">
          You have used {quota.percent}% of the included requests. A higher tier includes more requests and charges less per extra request.
        </p>
      ) : null}
    </div>
  );
}
