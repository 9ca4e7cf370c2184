import { formatUsdc } from "../../lib/format/usdc";
import type { BalanceLevel } from "../../lib/data/runway";

/** Orange below 10 USDC, red below 5 USDC (the thresholds); nothing above. */
export function LowBalanceBanner({ level, balance, refill }: { level: BalanceLevel; balance: bigint; refill: bigint }) {
  if (level === "ok") return null;
  const critical = level === "critical";
  return (
    <div className={`banner ${critical ? "banner-red" : "banner-orange"}`} role="alert" data-testid="low-balance-banner" data-level={level}>
      <strong>{critical ? "Balance critically low" : "Balance running low"}:</strong> the vault holds {formatUsdc(balance)}.{" "}
      {critical
        ? "Paid requests will soon be refused with 402 Payment Required."
        : "Requests keep working, but deposit soon to avoid interruptions."}
      {refill > 0n ? ` We recommend depositing ${formatUsdc(refill)}.` : ""}
    </div>
  );
}
