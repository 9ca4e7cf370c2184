import type { Balances } from "../../lib/data/overview";
import { formatDateTime } from "../../lib/format/text";
import { formatUsdc } from "../../lib/format/usdc";
import { Countdown } from "./countdown";

export function BalanceCards({ balances }: { balances: Balances }) {
  return (
    <>
      {balances.source === "ledger" ? (
        <div className="banner" role="status">
          The Solana network is not answering; these figures are the ledger&apos;s last snapshot
          {balances.asOfMs ? ` from ${formatDateTime(balances.asOfMs)}` : ""}.
        </div>
      ) : null}
      {balances.suspended ? (
        <div className="banner banner-red" role="alert">
          The team is suspended for unpaid debt of {formatUsdc(balances.debt)}: paid requests are refused until a deposit covers it.
        </div>
      ) : null}
      <div className="grid">
        <div className="card">
          <div className="stat-label">Vault balance</div>
          <div className="stat-value" data-testid="vault-balance">
            {formatUsdc(balances.vaultBalance)}
          </div>
          <div className="stat-note">
            {balances.source === "chain" ? `On chain, slot ${balances.slot}` : "Last known"}
          </div>
        </div>
        <div className="card">
          <div className="stat-label">Available to spend</div>
          <div className="stat-value" data-testid="available-balance">
            {formatUsdc(balances.available)}
          </div>
          <div className="stat-note">
            {balances.baseFeeDue > 0n
              ? `After this period's base fee of ${formatUsdc(balances.baseFeeDue)}, collected at the next settlement`
              : "Vault less debt and pending withdrawal"}
          </div>
        </div>
        <div className="card">
          <div className="stat-label">Debt</div>
          <div className="stat-value" data-testid="debt">
            {formatUsdc(balances.debt)}
          </div>
          <div className="stat-note">
            {balances.debt > 0n
              ? `Base fee ${formatUsdc(balances.unpaidBaseFee)}, usage ${formatUsdc(balances.unpaidOverage)}`
              : "Nothing owed"}
          </div>
        </div>
        <div className="card">
          <div className="stat-label">Pending withdrawal</div>
          <div className="stat-value">{formatUsdc(balances.pendingWithdrawal)}</div>
          <div className="stat-note">
            {balances.pendingWithdrawal > 0n ? (
              <>
                Executable <Countdown untilSecs={Number(balances.withdrawalUnlockAt)} />
              </>
            ) : (
              "None requested"
            )}
          </div>
        </div>
      </div>
    </>
  );
}
