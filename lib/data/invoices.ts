// Invoices for the list and detail pages.
import type { Id } from "../../convex/_generated/dataModel";
import type { TeamAccess } from "../auth/access";
import { AppError } from "../errors";
import { api, fromLedger, ledger } from "../server/ledger";

export async function listInvoices(access: TeamAccess) {
  return fromLedger(() => ledger().as(access.wallet).query(api.invoices.list, { teamId: access.teamId }));
}

export async function getInvoice(access: TeamAccess, invoiceId: string) {
  if (!/^[a-z0-9]{16,64}$/i.test(invoiceId)) throw new AppError("not_found", "There is no such invoice.");
  const invoice = await fromLedger(() => ledger().as(access.wallet).query(api.invoices.get, { invoiceId: invoiceId as Id<"invoices"> }));
  if (invoice.team.teamId !== access.teamId) throw new AppError("not_found", "There is no such invoice in this team.");
  return invoice;
}

/** "YYYY-MM" of the month before `nowMs` (UTC): what an invoice run on the 1st bills. */
export function previousMonth(nowMs: number): string {
  const d = new Date(nowMs);
  const prev = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, 1));
  return prev.toISOString().slice(0, 7);
}

export function monthName(month: string): string {
  const [year, m] = month.split("-").map(Number);
  return new Date(Date.UTC(year, m - 1, 1)).toLocaleString("en-US", { month: "long", year: "numeric", timeZone: "UTC" });
}
