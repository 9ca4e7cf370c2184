import type { ActiveAlert } from "../../lib/data/overview";
import { formatDateTime } from "../../lib/format/text";

/** The ledger's active alerts (quota, allocations, suspension); nothing when there are none. */
export function AlertsCard({ alerts }: { alerts: ActiveAlert[] }) {
  if (alerts.length === 0) return null;
  return (
    <div className="card" data-testid="alerts-card">
      <h2>Alerts</h2>
      <ul style={{ margin: 0, paddingLeft: "1.1rem" }}>
        {alerts.map((a) => (
          <li key={a.alertId}>
            <span className={`badge ${a.severity === "critical" ? "badge-danger" : a.severity === "warning" ? "badge-warn" : ""}`}>{a.severity}</span>{" "}
            {a.message} <span className="small muted">since {formatDateTime(a.createdAtMs)}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}
