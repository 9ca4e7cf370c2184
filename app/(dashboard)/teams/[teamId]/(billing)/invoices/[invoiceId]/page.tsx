import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { ErrorState } from "../../../../../../../components/ui/error-state";
import { pageTeamAccess } from "../../../../../../../lib/auth/current";
import { getInvoice, monthName } from "../../../../../../../lib/data/invoices";
import { serverEnv } from "../../../../../../../lib/env";
import { explorerTxUrl } from "../../../../../../../lib/format/explorer";
import { formatCount, formatDate, formatDateTime, shortAddress } from "../../../../../../../lib/format/text";
import { formatUsdc, formatUsdcExact } from "../../../../../../../lib/format/usdc";
import { attempt } from "../../../../../../../lib/server/attempt";

export const metadata: Metadata = { title: "Invoice" };

export default async function InvoicePage({ params }: { params: Promise<{ teamId: string; invoiceId: string }> }) {
  const { teamId, invoiceId } = await params;
  const access = await pageTeamAccess(teamId, "viewUsage", `/teams/${teamId}/invoices/${invoiceId}`);
  const invoice = await attempt(() => getInvoice(access, invoiceId));
  if (!invoice.ok) {
    if (invoice.error.code === "not_found") notFound();
    return <ErrorState error={invoice.error} title="We could not load this invoice" />;
  }
  const i = invoice.value;
  const { cluster, rpcUrl } = serverEnv();
  return (
    <>
      <div className="row" style={{ justifyContent: "space-between", marginBottom: "1rem" }}>
        <div>
          <Link href={`/teams/${access.teamId}/invoices`} className="small">
            ← All invoices
          </Link>
          <h2 style={{ margin: "0.25rem 0" }}>
            {i.number} · {monthName(i.month)}
          </h2>
          <p className="small muted" style={{ margin: 0 }}>
            {formatDate(i.periodStartMs)} to {formatDate(i.periodEndMs - 1)} · {i.tierName} tier ·{" "}
            <span className={`badge ${i.status === "paid" ? "badge-ok" : "badge-warn"}`}>{i.status}</span>
            {i.deliveredAtMs ? ` · e-mailed ${formatDateTime(i.deliveredAtMs)}` : ""}
          </p>
        </div>
        <a className="btn btn-primary" href={`/api/teams/${access.teamId}/invoices/${i.invoiceId}/pdf`} download data-testid="invoice-pdf">
          Download PDF
        </a>
      </div>

      <div className="card table-wrap">
        <h2>Lines</h2>
        <table data-testid="invoice-lines">
          <thead>
            <tr>
              <th>Item</th>
              <th className="num">Quantity</th>
              <th className="num">Unit price</th>
              <th className="num">Amount</th>
              <th className="num">Unpaid</th>
              <th>On-chain signatures</th>
            </tr>
          </thead>
          <tbody>
            {i.lines.map((l, index) => (
              <tr key={`${l.kind}-${index}`}>
                <td>{l.description}</td>
                <td className="num">{formatCount(l.quantity)}</td>
                <td className="num">{l.unitPrice > 0n ? formatUsdcExact(l.unitPrice) : "—"}</td>
                <td className="num">{formatUsdc(l.amount)}</td>
                <td className="num">{l.unpaid > 0n ? formatUsdc(l.unpaid) : "—"}</td>
                <td className="small">
                  {l.signatures.slice(0, 3).map((s) => (
                    <div key={s}>
                      <a className="mono" href={explorerTxUrl(s, cluster, rpcUrl)} target="_blank" rel="noreferrer" title={s}>
                        {shortAddress(s, 6)}
                      </a>
                    </div>
                  ))}
                  {l.signatureCount > 3 ? <div className="muted">and {formatCount(l.signatureCount - 3)} more</div> : null}
                  {l.signatureCount === 0 ? <span className="muted">—</span> : null}
                </td>
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr>
              <th colSpan={3}>Total</th>
              <th className="num" data-testid="invoice-total">
                {formatUsdc(i.total)}
              </th>
              <th className="num">{i.unpaid > 0n ? formatUsdc(i.unpaid) : "—"}</th>
              <th />
            </tr>
          </tfoot>
        </table>
      </div>

      <div className="card table-wrap">
        <h2>By member</h2>
        {i.members.length === 0 ? (
          <p className="muted">No usage this month.</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th>Member</th>
                <th className="num">Requests</th>
                <th className="num">Cost</th>
              </tr>
            </thead>
            <tbody>
              {i.members.map((m) => (
                <tr key={m.userId}>
                  <td className="mono">{m.userId.length > 20 ? shortAddress(m.userId, 6) : m.userId}</td>
                  <td className="num">{formatCount(m.requests)}</td>
                  <td className="num">{formatUsdc(m.cost)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </>
  );
}
