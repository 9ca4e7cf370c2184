// Renders an invoice document (as `invoices.get` / `invoices.listAwaitingDelivery` return it) to a
// PDF with pdfkit's built-in fonts: nothing is fetched, so it works offline (~tens of ms).
//
// Amounts arrive as bigint USDC base units and are turned into text only by the SDK's display
// module. Every line lists the on-chain signatures it covers, so a reader can check each figure
// against the chain.
import PDFDocument from "pdfkit";
import type { FunctionReturnType } from "convex/server";
import type { api } from "../../convex/_generated/api";
import { formatUsdc } from "../../sdk/src/format";

export type InvoiceDocument = FunctionReturnType<typeof api.invoices.get>;

const PAGE_MARGIN = 50; // points (1/72 inch)
const A4 = "A4";
const FONT = "Helvetica";
const BOLD = "Helvetica-Bold";
const MONO = "Courier";

/** Base units as USDC with the fewest decimals (at least 2) that show the amount exactly. */
export function usdc(amount: bigint): string {
  let decimals = 2;
  while (decimals < 6 && amount % 10n ** BigInt(6 - decimals) !== 0n) decimals += 1;
  return formatUsdc(amount, { decimals });
}

function day(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function monthName(month: string): string {
  const [year, m] = month.split("-").map(Number);
  return new Date(Date.UTC(year, m - 1, 1)).toLocaleString("en-US", { month: "long", year: "numeric", timeZone: "UTC" });
}

/** The built-in fonts encode WinAnsi only: anything else is shown as "?". */
function printable(text: string): string {
  return text.replace(/[^\x20-\x7e\xa0-\xff]/g, "?");
}

interface Column {
  title: string;
  width: number;
  align: "left" | "right";
}

/** Renders `invoice`; resolves with the PDF bytes. */
export function renderInvoicePdf(invoice: InvoiceDocument): Promise<Buffer> {
  const doc = new PDFDocument({
    size: A4,
    margin: PAGE_MARGIN,
    info: {
      Title: `Invoice ${invoice.number}`,
      Subject: `${invoice.team.name} — ${invoice.month}`,
      // Fixed dates make the same invoice render to the same bytes.
      CreationDate: new Date(invoice.generatedAtMs),
      ModDate: new Date(invoice.generatedAtMs),
    },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on("data", (chunk: Buffer) => chunks.push(chunk));
    doc.on("end", () => resolve(Buffer.concat(chunks)));
    doc.on("error", reject);
  });

  const left = PAGE_MARGIN;
  const contentWidth = doc.page.width - 2 * PAGE_MARGIN;
  const bottom = () => doc.page.height - PAGE_MARGIN;
  const ensureRoom = (height: number) => {
    if (doc.y + height > bottom()) doc.addPage();
  };

  const table = (columns: Column[], rows: string[][], fontSize = 9) => {
    const drawRow = (cells: string[], font: string) => {
      doc.font(font).fontSize(fontSize);
      const height = Math.max(
        ...cells.map((cell, i) => doc.heightOfString(printable(cell), { width: columns[i].width - 6 })),
      );
      ensureRoom(height + 4);
      const y = doc.y;
      let x = left;
      cells.forEach((cell, i) => {
        doc.text(printable(cell), x, y, { width: columns[i].width - 6, align: columns[i].align });
        x += columns[i].width;
      });
      doc.x = left;
      doc.y = y + height + 4;
    };
    drawRow(
      columns.map((c) => c.title),
      BOLD,
    );
    doc.moveTo(left, doc.y - 2).lineTo(left + contentWidth, doc.y - 2).lineWidth(0.5).stroke();
    for (const row of rows) drawRow(row, FONT);
  };

  const heading = (text: string) => {
    ensureRoom(40);
    doc.moveDown(1).font(BOLD).fontSize(12).text(text, left, doc.y).moveDown(0.3);
  };

  // Header.
  doc.font(BOLD).fontSize(20).text("Invoice", left, PAGE_MARGIN);
  doc.font(FONT).fontSize(10).text(invoice.number);
  doc.moveDown(0.5);
  const status = invoice.status === "paid" ? `Paid${invoice.paidAtMs !== null ? ` on ${day(invoice.paidAtMs)}` : ""}` : "Pending";
  const facts: Array<[string, string]> = [
    ["Team", invoice.team.name],
    ["Period", `${monthName(invoice.month)} (${day(invoice.periodStartMs)} to ${day(invoice.periodEndMs - 1)}, UTC)`],
    ["Tier", invoice.tierName],
    ["Status", status],
    ["Owner wallet", invoice.team.ownerWallet],
    ...(invoice.team.vault !== null ? ([["Vault", invoice.team.vault]] as Array<[string, string]>) : []),
    ...(invoice.team.billingEmail !== null ? ([["Billing e-mail", invoice.team.billingEmail]] as Array<[string, string]>) : []),
    ["Issued", day(invoice.generatedAtMs)],
  ];
  for (const [label, value] of facts) {
    const y = doc.y;
    doc.font(BOLD).fontSize(9).text(label, left, y, { width: 90 });
    doc.font(FONT).fontSize(9).text(printable(value), left + 90, y, { width: contentWidth - 90 });
  }

  // Lines and totals.
  heading("Charges");
  table(
    [
      { title: "Description", width: 205, align: "left" },
      { title: "Quantity", width: 65, align: "right" },
      { title: "Unit price", width: 80, align: "right" },
      { title: "Amount", width: 75, align: "right" },
      { title: "Unpaid", width: 70, align: "right" },
    ],
    invoice.lines.map((line) => [
      line.description,
      line.quantity.toLocaleString("en-US"),
      line.unitPrice === 0n ? "" : usdc(line.unitPrice),
      usdc(line.amount),
      line.unpaid === 0n ? "" : usdc(line.unpaid),
    ]),
  );
  // Totals sit under the Amount and Unpaid columns (x offsets 350 and 425, widths 75 and 70).
  doc.moveDown(0.3);
  ensureRoom(16);
  const totalsY = doc.y;
  doc.font(BOLD).fontSize(10).text("Total", left, totalsY, { width: 344, align: "right" });
  doc.text(usdc(invoice.total), left + 350, totalsY, { width: 69, align: "right" });
  if (invoice.unpaid > 0n) doc.text(usdc(invoice.unpaid), left + 425, totalsY, { width: 64, align: "right" });
  doc.x = left;
  doc.moveDown(0.2);
  if (invoice.unpaid > 0n) {
    doc.font(FONT).fontSize(8).text(
      `${usdc(invoice.unpaid)} was charged but not yet paid from the vault (on-chain debt); ` +
        "the program collects it from the vault at the next period roll.",
      left,
      doc.y,
      { width: contentWidth },
    );
  }

  // Member breakdown.
  heading("Usage by member");
  if (invoice.members.length === 0) {
    doc.font(FONT).fontSize(9).text("No metered usage in this period.", left, doc.y);
  } else {
    table(
      [
        { title: "User", width: 105, align: "left" },
        { title: "Wallet", width: 250, align: "left" },
        { title: "Requests", width: 65, align: "right" },
        { title: "Cost", width: 75, align: "right" },
      ],
      invoice.members.map((m) => [m.userId, m.wallet ?? "", m.requests.toLocaleString("en-US"), usdc(m.cost)]),
      8,
    );
  }

  // Signatures: the evidence for each line.
  heading("On-chain transactions covered");
  for (const line of invoice.lines) {
    if (line.signatureCount === 0) continue;
    ensureRoom(30);
    doc.font(BOLD).fontSize(9).text(printable(line.description), left, doc.y);
    doc.font(MONO).fontSize(7);
    for (const signature of line.signatures) {
      ensureRoom(10);
      doc.text(signature, left + 10, doc.y);
    }
    const omitted = line.signatureCount - line.signatures.length;
    if (omitted > 0) {
      doc.font(FONT).fontSize(8).text(`and ${omitted} more (see the billing history)`, left + 10, doc.y);
    }
    doc.moveDown(0.4);
  }

  doc.end();
  return done;
}
