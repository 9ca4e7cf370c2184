// The billing history page: one page of chain events from the ledger, newest first.
import type { FunctionReturnType } from "convex/server";
import type { TeamAccess } from "../auth/access";
import { api, fromLedger, ledger } from "../server/ledger";

export const HISTORY_PAGE_SIZE = 25;

export type HistoryEntry = FunctionReturnType<typeof api.analytics.getBillingHistory>["page"][number];

export async function loadHistoryPage(access: TeamAccess, cursor: string | null) {
  return fromLedger(() =>
    ledger()
      .as(access.wallet)
      .query(api.analytics.getBillingHistory, { teamId: access.teamId, paginationOpts: { numItems: HISTORY_PAGE_SIZE, cursor } }),
  );
}

export const KIND_NAMES: Record<string, string> = {
  "funds.deposited": "Deposit",
  "usage.deducted": "Usage settled",
  "withdrawal.requested": "Withdrawal requested",
  "funds.withdrawn": "Withdrawal",
  "tier.updated": "Tier change",
  "period.rolled": "Base fee",
};
