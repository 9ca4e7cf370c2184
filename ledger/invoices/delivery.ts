// The invoice delivery worker: polls the ledger for invoices awaiting delivery, renders each to PDF,
// mails it to the team Owner and the billing e-mail, and marks it delivered.
//
// Delivery is at least once: an invoice is marked only after the mailer accepted the message, so a
// crash between the two sends it again on the next poll, never loses it. An invoice the ledger
// changes after delivery comes back as awaiting and is sent again with the new figures.
//
// An invoice found without recipients (no Owner e-mail, no billing e-mail) is held back through
// `invoices.markNoRecipient`, so it leaves the awaiting list and cannot crowd out the invoices behind it;
// the ledger queues it again when the team sets a billing e-mail.
import { api, type LedgerClient } from "../client";
import type { Mailer } from "../mail/mailer";
import { renderInvoicePdf, usdc, type InvoiceDocument } from "./pdf";

export interface DeliveryOptions {
  ledger: LedgerClient;
  mailer: Mailer;
  /** Sender address. */
  from: string;
  /** Invoices fetched per poll (1–100, default 20). */
  batchSize?: number;
  log?(event: string, fields?: Record<string, unknown>): void;
}

export interface DeliveryReport {
  delivered: Array<{ invoiceId: string; number: string; recipients: string[] }>;
  /** Invoices with no address to send to (no Owner e-mail, no billing e-mail), now held back by the ledger. */
  withoutRecipients: string[];
  failed: Array<{ invoiceId: string; error: string }>;
}

function monthTitle(month: string): string {
  const [year, m] = month.split("-").map(Number);
  return new Date(Date.UTC(year, m - 1, 1)).toLocaleString("en-US", { month: "long", year: "numeric", timeZone: "UTC" });
}

/** The e-mail that carries an invoice. */
export function invoiceMail(invoice: InvoiceDocument, pdf: Buffer, from: string) {
  const period = monthTitle(invoice.month);
  const outstanding =
    invoice.unpaid > 0n ? `\nUnpaid (on-chain debt): ${usdc(invoice.unpaid)}` : "";
  return {
    from,
    to: invoice.recipients,
    subject: `Invoice ${invoice.number} for ${invoice.team.name}, ${period}: ${usdc(invoice.total)}`,
    text:
      `Invoice ${invoice.number}\n` +
      `Team: ${invoice.team.name}\nPeriod: ${period}\nTier: ${invoice.tierName}\n` +
      `Total: ${usdc(invoice.total)}${outstanding}\n` +
      `Status: ${invoice.status}\n\n` +
      "The PDF lists every charge with the on-chain transactions it covers.\n",
    attachments: [{ filename: `${invoice.number}.pdf`, content: pdf, contentType: "application/pdf" }],
  };
}

/** One pass: delivers what is awaiting now. Failures are reported, not thrown; the next pass retries. */
export async function deliverAwaitingInvoices(options: DeliveryOptions): Promise<DeliveryReport> {
  const log = options.log ?? (() => {});
  const report: DeliveryReport = { delivered: [], withoutRecipients: [], failed: [] };
  const invoices = await options.ledger
    .server()
    .query(api.invoices.listAwaitingDelivery, { limit: options.batchSize ?? 20 });
  for (const invoice of invoices) {
    try {
      if (invoice.recipients.length === 0) {
        await options.ledger.server().mutation(api.invoices.markNoRecipient, { invoiceId: invoice.invoiceId });
        report.withoutRecipients.push(invoice.invoiceId);
        log("invoice_without_recipients", { invoiceId: invoice.invoiceId, team: invoice.team.teamId });
        continue;
      }
      const pdf = await renderInvoicePdf(invoice);
      const sent = await options.mailer.send(invoiceMail(invoice, pdf, options.from));
      await options.ledger.server().mutation(api.invoices.markDelivered, {
        invoiceId: invoice.invoiceId,
        recipients: invoice.recipients,
      });
      report.delivered.push({ invoiceId: invoice.invoiceId, number: invoice.number, recipients: invoice.recipients });
      log("invoice_delivered", { invoiceId: invoice.invoiceId, number: invoice.number, destination: sent.destination });
    } catch (error) {
      report.failed.push({ invoiceId: invoice.invoiceId, error: String(error) });
      log("invoice_delivery_failed", { invoiceId: invoice.invoiceId, error: String(error) });
    }
  }
  return report;
}

export interface DeliveryWorker {
  /** Runs a pass now (after any pass in progress). */
  runOnce(): Promise<DeliveryReport>;
  /** Stops polling and waits for the pass in progress. */
  stop(): Promise<void>;
}

/** Polls every `intervalMs` (default 60 000). A pass never overlaps the previous one. */
export function startInvoiceDelivery(options: DeliveryOptions & { intervalMs?: number }): DeliveryWorker {
  const log = options.log ?? (() => {});
  let chain: Promise<unknown> = Promise.resolve();
  let stopped = false;
  const runOnce = () => {
    const pass = chain.then(() => deliverAwaitingInvoices(options));
    chain = pass.catch(() => undefined);
    return pass;
  };
  const timer = setInterval(() => {
    if (stopped) return;
    runOnce().catch((error: unknown) => log("invoice_poll_failed", { error: String(error) }));
  }, options.intervalMs ?? 60_000);
  timer.unref();
  return {
    runOnce,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await chain;
    },
  };
}
