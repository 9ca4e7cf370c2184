// The overview's data: the team account and vault read from chain (one round trip), the last 7 days'
// spending from the ledger, and what the page derives from them (banner level, quota, runway, prorated
// upgrade prices). When the chain cannot be read, the ledger's last snapshot stands in, said so on the page.
import { PublicKey } from "@solana/web3.js";
import { DEFAULT_PERIOD_SECS, DEFAULT_WITHDRAWAL_NOTICE_SECS, NO_PENDING_TIER, TeamStatus } from "../../sdk/src/constants";
import { prorateUpgrade } from "../../sdk/src/pricing";
import type { TeamAccess } from "../auth/access";
import { AppError } from "../errors";
import { readTeamChainState, requireConfig, walletUsdc } from "../server/chain";
import { api, fromLedger, ledger } from "../server/ledger";
import { balanceLevel, BURN_WINDOW_DAYS, computeRunway, quotaView, type BalanceLevel, type QuotaView, type Runway } from "./runway";
import { tierTerms, type TierInfo } from "./tiers";

export interface UpgradeQuote {
  tier: number;
  name: string;
  /** Charged now for the rest of the period, base units (prorated base-fee difference). */
  proratedFee: bigint;
}

export interface Balances {
  /** Where the figures come from: read from chain now, or the ledger's last snapshot. */
  source: "chain" | "ledger";
  /** Slot of the read. */
  slot: number;
  /** For a ledger snapshot: when it was taken, unix ms. */
  asOfMs: number | null;
  vaultBalance: bigint;
  unpaidBaseFee: bigint;
  unpaidOverage: bigint;
  debt: bigint;
  pendingWithdrawal: bigint;
  /** This period's base fee when it has not been collected yet (it is, at the next settlement), base units. */
  baseFeeDue: bigint;
  /** Unix seconds; meaningful when pendingWithdrawal > 0. */
  withdrawalUnlockAt: bigint;
  /** vault − debt − pending withdrawal − base fee due, floored at 0: what paid requests can use (as the gateway counts it). */
  available: bigint;
  tier: number;
  /** Tier from the next period on (a scheduled downgrade), or null. */
  pendingTier: number | null;
  suspended: boolean;
  /** Unix seconds, null when unknown. */
  periodStart: bigint | null;
  periodEnd: bigint | null;
  periodRequests: bigint;
}

export type Overview =
  | { accountExists: false; tiers: TierInfo[]; configReady: boolean }
  | {
      accountExists: true;
      balances: Balances;
      tiers: TierInfo[];
      level: BalanceLevel;
      quota: QuotaView;
      runway: Runway;
      upgrades: UpgradeQuote[];
      /** Cost of the last 7 days, base units. */
      spentLast7Days: bigint;
      /** Seconds from a withdrawal request until it may be executed. */
      withdrawalNoticeSecs: bigint;
      paused: boolean;
      /** The ledger's active alerts other than the balance ones (the banner shows those), newest first. */
      alerts: ActiveAlert[];
    };

export interface ActiveAlert {
  alertId: string;
  kind: string;
  severity: "info" | "warning" | "critical";
  message: string;
  createdAtMs: number;
}

function withoutNegative(a: bigint): bigint {
  return a > 0n ? a : 0n;
}

interface ChainRead {
  balances: Balances | null;
  configReady: boolean;
  noticeSecs: bigint;
  periodSecs: bigint;
  paused: boolean;
}

async function balancesFromChain(owner: PublicKey): Promise<ChainRead> {
  const state = await readTeamChainState(owner);
  const config = {
    configReady: state.config !== null,
    noticeSecs: state.config?.withdrawalNoticeSecs ?? DEFAULT_WITHDRAWAL_NOTICE_SECS,
    periodSecs: state.config?.periodSecs ?? DEFAULT_PERIOD_SECS,
    paused: state.config?.paused ?? false,
  };
  if (!state.team || state.vaultBalance === null) return { balances: null, ...config };
  const t = state.team;
  const debt = t.unpaidBaseFee + t.unpaidOverage;
  // Unpaid fees of earlier periods are already in unpaid_base_fee; this is the running period's own fee.
  const baseFeeDue = t.baseFeePaid ? 0n : (state.config?.tiers[t.tier]?.monthlyFee ?? 0n);
  return {
    balances: {
      source: "chain",
      slot: state.slot,
      asOfMs: null,
      vaultBalance: state.vaultBalance,
      unpaidBaseFee: t.unpaidBaseFee,
      unpaidOverage: t.unpaidOverage,
      debt,
      pendingWithdrawal: t.pendingWithdrawal,
      baseFeeDue,
      withdrawalUnlockAt: t.withdrawalUnlockAt,
      available: withoutNegative(state.vaultBalance - debt - t.pendingWithdrawal - baseFeeDue),
      tier: t.tier,
      pendingTier: t.pendingTier === NO_PENDING_TIER ? null : t.pendingTier,
      suspended: t.status === TeamStatus.Suspended,
      periodStart: t.periodStart,
      periodEnd: t.periodEnd,
      periodRequests: t.periodRequests,
    },
    ...config,
  };
}

async function balancesFromLedger(access: TeamAccess): Promise<Balances | null> {
  const row = await fromLedger(() => ledger().as(access.wallet).query(api.chain.getBalance, { teamId: access.teamId }));
  if (!row) return null;
  return {
    source: "ledger",
    slot: row.slot,
    asOfMs: row.updatedAtMs,
    vaultBalance: row.vaultBalance,
    unpaidBaseFee: row.unpaidBaseFee,
    unpaidOverage: row.unpaidOverage,
    debt: row.debt,
    pendingWithdrawal: row.pendingWithdrawal,
    // The ledger's snapshot does not say whether this period's fee was collected.
    baseFeeDue: 0n,
    withdrawalUnlockAt: BigInt(row.withdrawalUnlockAt),
    available: row.available,
    tier: access.team.tier,
    pendingTier: null,
    suspended: access.team.status === "suspended",
    periodStart: row.periodStart === null ? null : BigInt(row.periodStart),
    periodEnd: row.periodEnd === null ? null : BigInt(row.periodEnd),
    periodRequests: row.periodRequests,
  };
}

/** Everything the overview shows for a team (Owner and Admin: "view usage"). */
export async function loadOverview(access: TeamAccess, nowSecs: bigint): Promise<Overview> {
  const owner = new PublicKey(access.team.ownerWallet);
  const [chainRead, analytics, terms, alerts] = await Promise.all([
    balancesFromChain(owner).then(
      (r) => ({ ok: true as const, ...r }),
      (error: unknown) => ({ ok: false as const, error }),
    ),
    fromLedger(() => ledger().as(access.wallet).query(api.analytics.getTeamAnalytics, { teamId: access.teamId, days: BURN_WINDOW_DAYS })),
    tierTerms(),
    // Alerts are a convenience: their absence never hides the balance.
    ledger()
      .as(access.wallet)
      .query(api.alerts.list, { teamId: access.teamId, activeOnly: true, limit: 20 })
      .catch(() => []),
  ]);

  let balances: Balances;
  let noticeSecs = DEFAULT_WITHDRAWAL_NOTICE_SECS;
  let periodSecs = DEFAULT_PERIOD_SECS;
  let paused = false;
  if (chainRead.ok) {
    if (!chainRead.balances) return { accountExists: false, tiers: terms.tiers, configReady: chainRead.configReady };
    balances = chainRead.balances;
    ({ noticeSecs, periodSecs, paused } = chainRead);
  } else {
    // The chain is unreachable: the ledger's last snapshot, or the chain's error when there is none.
    const snapshot = await balancesFromLedger(access);
    if (!snapshot) throw chainRead.error instanceof AppError ? chainRead.error : new AppError("chain_unavailable");
    balances = snapshot;
  }

  const tiers = terms.tiers;
  const current = tiers[balances.tier];
  const nextTier = tiers[balances.pendingTier ?? balances.tier];
  const runway = computeRunway({
    available: balances.available,
    spentInWindow: analytics.totals.cost,
    nextBaseFee: nextTier?.monthlyFee ?? 0n,
    periodEnd: balances.periodEnd,
    now: nowSecs,
  });
  const upgrades: UpgradeQuote[] =
    current && balances.periodEnd !== null
      ? tiers
          .filter((t) => t.monthlyFee > current.monthlyFee)
          .map((t) => ({
            tier: t.id,
            name: t.name,
            proratedFee: prorateUpgrade({
              oldMonthlyFee: current.monthlyFee,
              newMonthlyFee: t.monthlyFee,
              periodEnd: balances.periodEnd as bigint,
              now: nowSecs,
              periodSecs,
            }),
          }))
      : [];
  return {
    accountExists: true,
    balances,
    tiers,
    level: balanceLevel(balances.vaultBalance),
    quota: quotaView(balances.periodRequests, current?.includedRequests ?? 0n),
    runway,
    upgrades,
    spentLast7Days: analytics.totals.cost,
    withdrawalNoticeSecs: noticeSecs,
    paused,
    alerts: alerts
      .filter((a) => !a.kind.startsWith("balance."))
      .map((a) => ({ alertId: a.alertId, kind: a.kind, severity: a.severity, message: a.message, createdAtMs: a.createdAtMs })),
  };
}

/** The signed-in wallet's USDC, for the deposit form's hint; null when it cannot be read. */
export async function depositorUsdc(wallet: string): Promise<bigint | null> {
  try {
    const config = await requireConfig();
    return (await walletUsdc(new PublicKey(wallet), config.usdcMint)).balance;
  } catch {
    return null;
  }
}
