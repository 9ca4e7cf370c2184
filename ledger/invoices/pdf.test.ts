// Invoice PDFs say what the invoice document says: totals, lines, members and signatures.
import assert from "node:assert/strict";
import { pdfText } from "../testing/pdf-text";
import { workedExampleInvoice } from "../testing/invoice-fixture";
import { renderInvoicePdf, usdc } from "./pdf";

describe("invoice PDF", function () {
  it("shows the worked example's lines and its 60 USDC total", async function () {
    const invoice = workedExampleInvoice();
    const started = performance.now();
    const pdf = await renderInvoicePdf(invoice);
    const ms = performance.now() - started;
    console.log(`      rendered in ${ms.toFixed(0)} ms, ${pdf.length} bytes`);
    assert.equal(pdf.subarray(0, 5).toString(), "%PDF-");
    const text = pdfText(pdf);
    for (const expected of [
      "INV-2025-04-0INVOICE",
      "Acme Analytics",
      "April 2025 (2025-04-01 to 2025-04-30, UTC)",
      "Startup base fee",
      "50.00 USDC",
      "Overage requests",
      "1,000",
      "0.01 USDC",
      "10.00 USDC",
      "Total",
      "60.00 USDC",
      "alice",
      "7,000",
      "6.00 USDC",
      "D".repeat(88),
      "Paid on 2025-05-01",
    ]) {
      assert.ok(text.includes(expected), `missing ${JSON.stringify(expected)}`);
    }
    assert.ok(!text.includes("Unpaid (on-chain debt)"));
  });

  it("states the unpaid part and how the program collects it", async function () {
    const text = pdfText(await renderInvoicePdf(workedExampleInvoice({ unpaid: 2_500_000n, status: "pending", paidAtMs: null })));
    assert.ok(text.includes("2.50 USDC"));
    assert.ok(text.includes("Pending"));
    assert.match(text.replace(/\n/g, " "), /not yet paid from the vault/);
  });

  it("renders the same invoice to the same bytes", async function () {
    const invoice = workedExampleInvoice();
    assert.deepEqual(await renderInvoicePdf(invoice), await renderInvoicePdf(invoice));
  });

  it("flows long signature lists onto further pages and notes the ones not listed", async function () {
    const signatures = Array.from({ length: 300 }, (_, i) => `${i}`.padStart(88, "S"));
    const base = workedExampleInvoice();
    const lines = base.lines.map((line) =>
      line.kind === "overage" ? { ...line, signatures, signatureCount: 1_250 } : line,
    );
    const pdf = await renderInvoicePdf({ ...base, lines });
    const pages = pdf.toString("latin1").match(/\/Type \/Page\b/g)?.length ?? 0;
    assert.ok(pages >= 3, `${pages} pages`);
    const text = pdfText(pdf);
    assert.ok(text.includes(signatures[299]));
    assert.ok(text.includes("and 950 more (see the billing history)"));
  });

  it("replaces characters the built-in fonts cannot draw", async function () {
    const base = workedExampleInvoice();
    const text = pdfText(await renderInvoicePdf({ ...base, team: { ...base.team, name: "Café 東京" } }));
    assert.ok(text.includes("Café ??"));
  });

  it("formats amounts with as many decimals as they need", function () {
    assert.equal(usdc(60_000_000n), "60.00 USDC");
    assert.equal(usdc(10_000n), "0.01 USDC");
    assert.equal(usdc(2_000n), "0.002 USDC");
    assert.equal(usdc(1n), "0.000001 USDC");
    assert.equal(usdc(1_234_567_890_000n), "1,234,567.89 USDC");
  });
});
