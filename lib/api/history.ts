// Billing history routes: the CSV export (streamed) and "verify" of a settled batch.
import type { FunctionReturnType } from "convex/server";
import { requireTeamAccess } from "../auth/access";
import { historyCsvStream, type HistoryRow } from "../data/history-csv";
import { verifyBatch } from "../data/verify";
import { api, fromLedger, ledger } from "../server/ledger";
import { json, requireAction, requireSession } from "../server/route";

/** Rows per ledger read while streaming. */
const CSV_PAGE_SIZE = 200;

type Entry = FunctionReturnType<typeof api.analytics.getBillingHistory>["page"][number];

function toRow(e: Entry): HistoryRow {
  return {
    kind: e.kind,
    signature: e.signature,
    slot: e.slot,
    blockTime: e.blockTime ?? null,
    amount: e.amount,
    balanceAfter: "balanceAfter" in e ? e.balanceAfter : undefined,
    batchSeq: "batchSeq" in e ? e.batchSeq : undefined,
    requestCount: "requestCount" in e ? e.requestCount : undefined,
    usageRoot: "usageRoot" in e ? e.usageRoot : undefined,
  };
}

/** GET → text/csv of every history entry, newest first. Owner and Admin ("view usage"). */
export async function getHistoryCsv(req: Request, { teamId }: { teamId: string }): Promise<Response> {
  const session = requireSession(req);
  const access = await requireTeamAccess(session.wallet, teamId, "viewUsage");
  const scoped = ledger().as(session.wallet);
  // The first page is read before answering, so a refusal or an outage is still a JSON error with its status.
  const first = await fromLedger(() =>
    scoped.query(api.analytics.getBillingHistory, { teamId: access.teamId, paginationOpts: { numItems: CSV_PAGE_SIZE, cursor: null } }),
  );
  let pending: typeof first | null = first;
  const stream = historyCsvStream(async (cursor) => {
    const page =
      pending ??
      (await fromLedger(() => scoped.query(api.analytics.getBillingHistory, { teamId: access.teamId, paginationOpts: { numItems: CSV_PAGE_SIZE, cursor } })));
    pending = null;
    return { rows: page.page.map(toRow), cursor: page.continueCursor, done: page.isDone };
  });
  const day = new Date().toISOString().slice(0, 10);
  const filename = `billing-history-${access.team.name.replace(/[^A-Za-z0-9_-]+/g, "-").slice(0, 40) || "team"}-${day}.csv`;
  return new Response(stream, {
    headers: {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="${filename}"`,
      "cache-control": "no-store",
    },
  });
}

/** POST → the batch's recomputed usage root against the on-chain event. Owner and Admin. */
export async function postVerifyBatch(req: Request, { teamId, batchId }: { teamId: string; batchId: string }): Promise<Response> {
  const session = requireAction(req);
  const access = await requireTeamAccess(session.wallet, teamId, "viewUsage");
  return json(await verifyBatch(access, decodeURIComponent(batchId)));
}
