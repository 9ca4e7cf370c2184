import type { Metadata } from "next";
import { AlertsCard } from "../../../../../components/overview/alerts-card";
import { BalanceCards } from "../../../../../components/overview/balance-cards";
import { CreateAccountCard } from "../../../../../components/overview/create-account-card";
import { DepositForm } from "../../../../../components/overview/deposit-form";
import { LowBalanceBanner } from "../../../../../components/overview/low-balance-banner";
import { MemberOverview } from "../../../../../components/overview/member-overview";
import { QuotaCard } from "../../../../../components/overview/quota-card";
import { RunwayCard } from "../../../../../components/overview/runway-card";
import { TierCard } from "../../../../../components/overview/tier-card";
import { WithdrawalCard } from "../../../../../components/overview/withdrawal-card";
import { ErrorState } from "../../../../../components/ui/error-state";
import { roleAllows } from "../../../../../lib/auth/access";
import { pageTeamAccess } from "../../../../../lib/auth/current";
import { depositorUsdc, loadOverview } from "../../../../../lib/data/overview";
import { describeTier } from "../../../../../lib/data/tiers";
import { formatDuration } from "../../../../../lib/format/text";
import { formatUsdc } from "../../../../../lib/format/usdc";
import { attempt } from "../../../../../lib/server/attempt";
import { maxWithdrawalRequest } from "../../../../../sdk/src/pricing";

export const metadata: Metadata = { title: "Overview" };

export default async function OverviewPage({ params }: { params: Promise<{ teamId: string }> }) {
  const { teamId } = await params;
  const access = await pageTeamAccess(teamId, "viewTeam");
  const walletUsdc = depositorUsdc(access.wallet);
  const walletBalanceText = async () => {
    const units = await walletUsdc;
    return units === null ? null : formatUsdc(units);
  };

  // Members may use the API and deposit, but not see the team's balance or usage (role table).
  if (!roleAllows(access.role, "viewUsage")) {
    return <MemberOverview access={access} walletBalanceText={await walletBalanceText()} />;
  }

  const now = Math.floor(Date.now() / 1000);
  const overview = await attempt(() => loadOverview(access, BigInt(now)));
  if (!overview.ok) return <ErrorState error={overview.error} title="We could not load the balance" />;
  const o = overview.value;
  const isOwner = access.role === "owner";

  if (!o.accountExists) {
    const tier = o.tiers[access.team.tier];
    return (
      <CreateAccountCard
        teamId={access.teamId}
        sessionWallet={access.wallet}
        isOwner={isOwner}
        tier={access.team.tier}
        tierText={tier ? describeTier(tier) : ""}
      />
    );
  }

  const b = o.balances;
  const current = o.tiers[b.tier];
  const pending = b.pendingTier !== null ? o.tiers[b.pendingTier] : undefined;
  const upgradeFees = new Map(o.upgrades.map((u) => [u.tier, u.proratedFee]));
  const maxWithdrawal = maxWithdrawalRequest({ vaultBalance: b.vaultBalance, unpaidBaseFee: b.unpaidBaseFee, unpaidOverage: b.unpaidOverage });

  return (
    <>
      <LowBalanceBanner level={o.level} balance={b.vaultBalance} refill={o.runway.recommendedRefill} />
      {o.paused ? (
        <div className="banner banner-orange" role="status">
          Billing is paused by the operator: deposits are refused for now. Withdrawals still work.
        </div>
      ) : null}
      <BalanceCards balances={b} />
      <AlertsCard alerts={o.alerts} />
      <div className="grid">
        <QuotaCard quota={o.quota} periodEnd={b.periodEnd} />
        <RunwayCard runway={o.runway} />
      </div>
      <div className="grid">
        <DepositForm teamId={access.teamId} sessionWallet={access.wallet} walletBalanceText={await walletBalanceText()} />
        <WithdrawalCard
          teamId={access.teamId}
          sessionWallet={access.wallet}
          isOwner={isOwner}
          pendingText={b.pendingWithdrawal > 0n ? formatUsdc(b.pendingWithdrawal) : null}
          maxText={formatUsdc(maxWithdrawal, { unit: false })}
          noticeText={formatDuration(Number(o.withdrawalNoticeSecs))}
          unlockAt={b.pendingWithdrawal > 0n ? Number(b.withdrawalUnlockAt) : null}
          nowSecs={now}
        />
      </div>
      {current ? (
        <TierCard
          teamId={access.teamId}
          sessionWallet={access.wallet}
          isOwner={isOwner}
          current={{ name: current.name, terms: describeTier(current) }}
          pendingName={pending?.name ?? null}
          choices={o.tiers
            .filter((t) => t.id !== b.tier)
            .map((t) => {
              const fee = upgradeFees.get(t.id);
              return { id: t.id, name: t.name, terms: describeTier(t), upgradePriceText: fee === undefined ? null : formatUsdc(fee) };
            })}
        />
      ) : null}
    </>
  );
}
