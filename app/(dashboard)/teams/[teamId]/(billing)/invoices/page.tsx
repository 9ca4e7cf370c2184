import type { Metadata } from "next";
import Link from "next/link";
import { GenerateInvoiceForm } from "../../../../../../components/invoices/generate-invoice-form";
import { EmptyState } from "../../../../../../components/ui/empty-state";
import { ErrorState } from "../../../../../../components/ui/error-state";
import { roleAllows } from "../../../../../../lib/auth/access";
import { pageTeamAccess } from "../../../../../../lib/auth/current";
import { listInvoices, monthName, previousMonth } from "../../../../../../lib/data/invoices";
import { formatDateTime } from "../../../../../../lib/format/text";
import { formatUsdc } from "../../../../../../lib/format/usdc";
import { attempt } from "../../../../../../lib/server/attempt";

export const metadata: Metadata = { title: "Invoices" };

export default async function InvoicesPage({ params }: { params: Promise<{ teamId: string }> }) {
  const { teamId } = await params;
  const access = await pageTeamAccess(teamId, "viewUsage", `/teams/${teamId}/invoices`);
  const invoices = await attempt(() => listInvoices(access));
  return (
    <>
      {roleAllows(access.role, "generateInvoices") ? (
        <div className="card">
          <h2>Generate an invoice</h2>
          <p className="small muted">
            Invoices are built from the month&apos;s on-chain events and generated automatically on the 1st. Generate one now to see a month
            so far; a running month&apos;s invoice is refreshed each time.
          </p>
          <GenerateInvoiceForm teamId={access.teamId} defaultMonth={new Date().toISOString().slice(0, 7)} />
        </div>
      ) : null}
      {!invoices.ok ? (
        <ErrorState error={invoices.error} title="We could not load the invoices" />
      ) : invoices.value.length === 0 ? (
        <div className="card">
          <EmptyState title="No invoices yet">
            <p>The first invoice ({monthName(previousMonth(Date.now()))} or later) appears after the 1st of the month.</p>
          </EmptyState>
        </div>
      ) : (
        <div className="card table-wrap">
          <table data-testid="invoice-list">
            <thead>
              <tr>
                <th>Month</th>
                <th className="num">Total</th>
                <th className="num">Unpaid</th>
                <th>Status</th>
                <th>Generated</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {invoices.value.map((i) => (
                <tr key={i.invoiceId}>
                  <td>
                    <Link href={`/teams/${access.teamId}/invoices/${i.invoiceId}`}>{monthName(i.month)}</Link>
                  </td>
                  <td className="num">{formatUsdc(i.total)}</td>
                  <td className="num">{formatUsdc(i.unpaid)}</td>
                  <td>
                    <span className={`badge ${i.status === "paid" ? "badge-ok" : "badge-warn"}`}>{i.status}</span>
                  </td>
                  <td className="small">{formatDateTime(i.generatedAtMs)}</td>
                  <td>
                    <a className="btn btn-small" href={`/api/teams/${access.teamId}/invoices/${i.invoiceId}/pdf`} download>
                      PDF
                    </a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
