import type { Metadata } from "next";
import Link from "next/link";
import { VerifyButton } from "../../../../../../components/history/verify-button";
import { EmptyState } from "../../../../../../components/ui/empty-state";
import { ErrorState } from "../../../../../../components/ui/error-state";
import { pageTeamAccess } from "../../../../../../lib/auth/current";
import { KIND_NAMES, loadHistoryPage, type HistoryEntry } from "../../../../../../lib/data/history";
import { serverEnv } from "../../../../../../lib/env";
import { explorerTxUrl } from "../../../../../../lib/format/explorer";
import { countOf, formatDateTime, shortAddress } from "../../../../../../lib/format/text";
import { formatUsdc } from "../../../../../../lib/format/usdc";
import { attempt } from "../../../../../../lib/server/attempt";
import { TIER_NAMES, type TierId } from "../../../../../../sdk/src/constants";

export const metadata: Metadata = { title: "Billing history" };

// The ledger's entries share `kind` as a plain union, so each is recognised by the fields it carries.
function details(e: HistoryEntry): string {
  if ("batchSeq" in e) {
    const waived = e.amountWaived > 0n ? ` · ${formatUsdc(e.amountWaived)} waived by the spend cap` : "";
    const debt = e.amountCharged > e.amount ? ` · ${formatUsdc(e.amountCharged - e.amount)} became debt` : "";
    return `Batch ${e.batchSeq} · ${countOf(e.requestCount, "request")}${waived}${debt}`;
  }
  if ("depositor" in e) return `From ${shortAddress(e.depositor)}`;
  if ("unlockAt" in e) return `Executable from ${formatDateTime(Number(e.unlockAt) * 1000)}`;
  if ("newTier" in e) return `${TIER_NAMES[e.oldTier as TierId] ?? e.oldTier} → ${TIER_NAMES[e.newTier as TierId] ?? e.newTier}`;
  if ("periodStart" in e) return `Period from ${formatDateTime(Number(e.periodStart) * 1000)}`;
  return "";
}

export default async function HistoryPage({ params, searchParams }: { params: Promise<{ teamId: string }>; searchParams: Promise<{ cursor?: string }> }) {
  const { teamId } = await params;
  const cursor = (await searchParams).cursor ?? null;
  const access = await pageTeamAccess(teamId, "viewUsage", `/teams/${teamId}/history`);
  const page = await attempt(() => loadHistoryPage(access, cursor));
  const { cluster, rpcUrl } = serverEnv();

  return (
    <>
      <div className="row" style={{ justifyContent: "space-between", marginBottom: "1rem" }}>
        <p className="muted" style={{ margin: 0 }}>
          Deposits, settled usage, withdrawals and tier changes, as the chain recorded them. Newest first.
        </p>
        <a className="btn" href={`/api/teams/${access.teamId}/history/csv`} download data-testid="csv-export">
          Export CSV
        </a>
      </div>
      {!page.ok ? (
        <ErrorState error={page.error} title="We could not load the billing history" />
      ) : page.value.page.length === 0 ? (
        <div className="card">
          <EmptyState title={cursor ? "No more entries" : "Nothing here yet"}>
            <p>{cursor ? "You have reached the oldest entry." : "Deposits and settled usage appear here a few seconds after they land on chain."}</p>
          </EmptyState>
        </div>
      ) : (
        <div className="card table-wrap">
          <table data-testid="history-table">
            <thead>
              <tr>
                <th>When</th>
                <th>What</th>
                <th className="num">Amount</th>
                <th>Details</th>
                <th>Transaction</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {page.value.page.map((e) => (
                <tr key={`${e.signature}-${e.kind}-${"batchSeq" in e ? e.batchSeq : ""}`} data-kind={e.kind}>
                  <td className="small">{e.blockTime ? formatDateTime(e.blockTime * 1000) : `slot ${e.slot}`}</td>
                  <td>{KIND_NAMES[e.kind] ?? e.kind}</td>
                  <td className="num">{formatUsdc(e.amount)}</td>
                  <td className="small">
                    {details(e)}
                    {"usageRoot" in e ? (
                      <div className="mono small muted" title="Usage root (Merkle root of the batch's records)">
                        root {e.usageRoot.slice(0, 16)}…
                      </div>
                    ) : null}
                  </td>
                  <td>
                    <a className="mono small" href={explorerTxUrl(e.signature, cluster, rpcUrl)} target="_blank" rel="noreferrer" title={e.signature}>
                      {shortAddress(e.signature, 6)}
                    </a>
                  </td>
                  <td>{"batchId" in e && e.batchId ? <VerifyButton teamId={access.teamId} batchId={e.batchId} /> : null}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="row" style={{ marginTop: "0.75rem" }}>
            {cursor ? (
              <Link className="btn btn-small" href={`/teams/${access.teamId}/history`}>
                Newest
              </Link>
            ) : null}
            {!page.value.isDone ? (
              <Link className="btn btn-small" href={`/teams/${access.teamId}/history?cursor=${encodeURIComponent(page.value.continueCursor)}`} data-testid="history-next">
                Older entries
              </Link>
            ) : null}
          </div>
        </div>
      )}
    </>
  );
}
