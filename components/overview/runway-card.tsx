import type { Runway } from "../../lib/data/runway";
import { formatCount } from "../../lib/format/text";
import { formatUsdc } from "../../lib/format/usdc";

export function RunwayCard({ runway }: { runway: Runway }) {
  return (
    <div className="card" data-testid="runway-card">
      <h2>Runway</h2>
      {runway.daysRemaining === null ? (
        <p>No paid usage in the last 7 days, so the balance is not going down with usage.</p>
      ) : (
        <p>
          At the last 7 days&apos; rate of <strong>{formatUsdc(runway.burnPerDay)} a day</strong>, the available balance lasts about{" "}
          <strong data-testid="runway-days">{formatCount(runway.daysRemaining)} days</strong>.
        </p>
      )}
      <p>
        Projected available balance in 30 days: <strong>{formatUsdc(runway.projectedIn30Days)}</strong>
        {runway.baseFeeInProjection > 0n ? ` (including the next base fee of ${formatUsdc(runway.baseFeeInProjection)})` : ""}
        {runway.runsOutWithin30Days ? ", it runs out before then." : "."}
      </p>
      {runway.recommendedRefill > 0n ? (
        <p data-testid="refill-recommendation">
          Recommended deposit: <strong>{formatUsdc(runway.recommendedRefill)}</strong> to cover 30 days and the coming base fee.
        </p>
      ) : (
        <p className="small muted">No refill needed for the next 30 days at this rate.</p>
      )}
    </div>
  );
}
