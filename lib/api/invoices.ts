// Invoice routes: generate (Owner) and the PDF download (Owner and Admin).
import type { Id } from "../../convex/_generated/dataModel";
import { renderInvoicePdf } from "../../ledger/invoices/pdf";
import { requireTeamAccess } from "../auth/access";
import { AppError } from "../errors";
import { api, fromLedger, ledger } from "../server/ledger";
import { json, readJson, requireAction, requireSession } from "../server/route";
import { optionalString } from "./validate";

export function requireInvoiceId(value: string): Id<"invoices"> {
  if (!/^[a-z0-9]{16,64}$/i.test(value)) throw new AppError("not_found", "There is no such invoice.");
  return value as Id<"invoices">;
}

/** POST {month?: "YYYY-MM"} → the invoice document (default: the previous month). Owner only. */
export async function postInvoice(req: Request, { teamId }: { teamId: string }): Promise<Response> {
  const session = requireAction(req);
  const body = await readJson(req);
  const access = await requireTeamAccess(session.wallet, teamId, "generateInvoices");
  const month = optionalString(body.month, "a month", 7);
  if (month !== undefined && !/^\d{4}-(0[1-9]|1[0-2])$/.test(month)) throw new AppError("invalid_argument", "The month must look like 2026-10.");
  const invoice = await fromLedger(() =>
    ledger()
      .as(session.wallet)
      .mutation(api.invoices.generate, { teamId: access.teamId, ...(month ? { month } : {}) }),
  );
  return json(invoice, 201);
}

/** GET → application/pdf. Owner and Admin ("view usage"). */
export async function getInvoicePdf(req: Request, { teamId, invoiceId }: { teamId: string; invoiceId: string }): Promise<Response> {
  const session = requireSession(req);
  const access = await requireTeamAccess(session.wallet, teamId, "viewUsage");
  const invoice = await fromLedger(() => ledger().as(session.wallet).query(api.invoices.get, { invoiceId: requireInvoiceId(invoiceId) }));
  if (invoice.team.teamId !== access.teamId) throw new AppError("not_found", "There is no such invoice in this team.");
  const pdf = await renderInvoicePdf(invoice);
  return new Response(new Uint8Array(pdf), {
    headers: {
      "content-type": "application/pdf",
      "content-disposition": `attachment; filename="${invoice.number}.pdf"`,
      "content-length": String(pdf.length),
      "cache-control": "no-store",
    },
  });
}
