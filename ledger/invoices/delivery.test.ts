// The delivery worker against the real convex/ functions on the sidecar: an invoice generated from
// chain events is rendered, mailed to the Owner and the billing e-mail, and marked delivered.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { utils } from "@coral-xyz/anchor";
import { Keypair } from "@solana/web3.js";
import { api, createLedgerClient, type LedgerClient } from "../client";
import { FileOutboxMailer, SmtpMailer } from "../mail";
import { startSidecarProcess, type SidecarProcess } from "../start-sidecar";
import { pdfText } from "../testing/pdf-text";
import { tempDir, waitFor } from "../testing/support";
import { deliverAwaitingInvoices, startInvoiceDelivery } from "./delivery";

const address = () => Keypair.generate().publicKey.toBase58();
const signature = () => utils.bytes.bs58.encode(randomBytes(64));
const FROM = "Billing <billing@example.test>";

/** Unix seconds inside the calendar month before the current one (UTC). */
function lastMonthSeconds(day: number): number {
  const now = new Date();
  return Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, day, 12) / 1000;
}

/** A team whose previous month holds the worked example, and its generated invoice. */
async function teamWithInvoice(ledger: LedgerClient, emails: { ownerEmail?: string; billingEmail?: string }) {
  const owner = address();
  const chainTeam = address();
  const { teamId } = await ledger.as(owner).mutation(api.teams.create, { name: "Acme Analytics", chainTeam, ...emails });
  const position = (blockTime: number, slot: number) => ({
    signature: signature(),
    instructionIndex: 0,
    eventIndex: 0,
    slot,
    blockTime,
    team: chainTeam,
  });
  await ledger.server().mutation(api.chain.ingestChainEvents, {
    events: [
      {
        kind: "period.rolled",
        ...position(lastMonthSeconds(1), 100),
        periodStart: lastMonthSeconds(1),
        periodEnd: lastMonthSeconds(1) + 30 * 86_400,
        tier: 0,
        baseFeeCharged: 50_000_000n,
      },
      {
        kind: "usage.deducted",
        ...position(lastMonthSeconds(15), 200),
        batchSeq: 1n,
        requestCount: 11_000n,
        amountCharged: 10_000_000n,
        amountPaid: 10_000_000n,
        amountWaived: 0n,
        periodRequests: 11_000n,
        balanceAfter: 40_000_000n,
        usageRoot: "ab".repeat(32),
      },
    ],
  });
  const invoice = await ledger.as(owner).mutation(api.invoices.generate, { teamId });
  return { owner, teamId, invoice };
}

describe("invoice delivery", function () {
  let sidecar: SidecarProcess;
  let ledger: LedgerClient;
  const data = tempDir("delivery");

  before(async function () {
    sidecar = await startSidecarProcess({ dataDir: path.join(data.dir, "ledger"), crons: false });
    ledger = createLedgerClient({ url: sidecar.url, serverSecret: sidecar.serverSecret });
  });

  after(async function () {
    await sidecar?.stop();
    data.cleanup();
  });

  it("mails the worked example's PDF to the Owner and the billing e-mail and marks it delivered", async function () {
    const { owner, invoice } = await teamWithInvoice(ledger, { ownerEmail: "owner@acme.test", billingEmail: "billing@acme.test" });
    assert.equal(invoice.total, 60_000_000n);
    const outbox = path.join(data.dir, "outbox-1");
    const report = await deliverAwaitingInvoices({ ledger, mailer: new FileOutboxMailer(outbox), from: FROM });
    assert.deepEqual(report.failed, []);
    assert.deepEqual(report.delivered, [
      { invoiceId: invoice.invoiceId, number: invoice.number, recipients: ["owner@acme.test", "billing@acme.test"] },
    ]);
    const files = fs.readdirSync(outbox);
    // Long header lines are folded onto continuation lines; unfold them to read the headers.
    const eml = fs.readFileSync(path.join(outbox, files.find((f) => f.endsWith(".eml"))!), "utf8").replace(/\n[ \t]+/g, " ");
    assert.match(eml, /^To: owner@acme\.test, billing@acme\.test$/m);
    assert.match(eml, new RegExp(`^Subject: Invoice ${invoice.number} for Acme Analytics, .*: 60\\.00 USDC$`, "m"));
    const pdf = fs.readFileSync(path.join(outbox, files.find((f) => f.endsWith(".pdf"))!));
    const text = pdfText(pdf);
    assert.ok(text.includes("60.00 USDC") && text.includes("10.00 USDC") && text.includes("1,000"));

    const stored = await ledger.as(owner).query(api.invoices.get, { invoiceId: invoice.invoiceId });
    assert.equal(stored.delivery, "delivered");
    assert.deepEqual(stored.deliveredTo, ["owner@acme.test", "billing@acme.test"]);
    const again = await deliverAwaitingInvoices({ ledger, mailer: new FileOutboxMailer(outbox), from: FROM });
    assert.deepEqual(again.delivered, []);
  });

  it("keeps an invoice awaiting when the mail cannot be sent and delivers it on a later pass", async function () {
    const { invoice } = await teamWithInvoice(ledger, { billingEmail: "books@retry.test" });
    const broken = new SmtpMailer({ url: "smtp://127.0.0.1:1", timeoutMs: 2000 });
    const failed = await deliverAwaitingInvoices({ ledger, mailer: broken, from: FROM });
    await broken.close();
    assert.deepEqual(failed.delivered, []);
    assert.equal(failed.failed.length, 1);
    assert.equal(failed.failed[0].invoiceId, invoice.invoiceId);
    const retried = await deliverAwaitingInvoices({ ledger, mailer: new FileOutboxMailer(path.join(data.dir, "outbox-2")), from: FROM });
    assert.deepEqual(retried.delivered.map((d) => [d.invoiceId, d.recipients]), [[invoice.invoiceId, ["books@retry.test"]]]);
  });

  it("holds back invoices with nobody to send to, delivers the ones behind them, and sends them once a billing e-mail is set", async function () {
    const silent = [];
    for (let i = 0; i < 3; i++) silent.push(await teamWithInvoice(ledger, {}));
    for (const { invoice } of silent) assert.equal(invoice.delivery, "no_recipient");
    const { invoice: deliverable } = await teamWithInvoice(ledger, { billingEmail: "books@behind.test" });
    const outbox = path.join(data.dir, "outbox-3");
    // A batch smaller than the held-back invoices still reaches the deliverable one.
    const report = await deliverAwaitingInvoices({ ledger, mailer: new FileOutboxMailer(outbox), from: FROM, batchSize: 2 });
    assert.deepEqual(report.delivered.map((d) => d.invoiceId), [deliverable.invoiceId]);
    assert.deepEqual([report.withoutRecipients, report.failed], [[], []]);

    const [first] = silent;
    await ledger.as(first.owner).mutation(api.teams.updateBillingEmail, { teamId: first.teamId, billingEmail: "late@silent.test" });
    const later = await deliverAwaitingInvoices({ ledger, mailer: new FileOutboxMailer(outbox), from: FROM, batchSize: 2 });
    assert.deepEqual(later.delivered.map((d) => [d.invoiceId, d.recipients]), [[first.invoice.invoiceId, ["late@silent.test"]]]);
    const stored = await ledger.as(silent[1].owner).query(api.invoices.get, { invoiceId: silent[1].invoice.invoiceId });
    assert.equal(stored.delivery, "no_recipient");
  });

  it("polls on an interval until stopped", async function () {
    const { owner, invoice } = await teamWithInvoice(ledger, { ownerEmail: "poll@acme.test" });
    const events: string[] = [];
    const worker = startInvoiceDelivery({
      ledger,
      mailer: new FileOutboxMailer(path.join(data.dir, "outbox-4")),
      from: FROM,
      intervalMs: 100,
      log: (event) => events.push(event),
    });
    try {
      await waitFor(async () => (await ledger.as(owner).query(api.invoices.get, { invoiceId: invoice.invoiceId })).delivery === "delivered", 5000);
    } finally {
      await worker.stop();
    }
    assert.ok(events.includes("invoice_delivered"));
  });
});

describe("invoice delivery of invoices queued before held-back invoices existed", function () {
  const data = tempDir("delivery-legacy");
  let sidecar: SidecarProcess | undefined;

  after(async function () {
    await sidecar?.stop();
    data.cleanup();
  });

  it("holds back an awaiting invoice without recipients through the ledger, so it no longer fills the batch", async function () {
    const dataDir = path.join(data.dir, "ledger");
    sidecar = await startSidecarProcess({ dataDir, crons: false });
    const serverSecret = sidecar.serverSecret;
    let ledger = createLedgerClient({ url: sidecar.url, serverSecret });
    const legacy = await teamWithInvoice(ledger, { billingEmail: "gone@legacy.test" });
    const { invoice: deliverable } = await teamWithInvoice(ledger, { ownerEmail: "owner@current.test" });
    await sidecar.stop();
    // The stored team as an older ledger could leave it: no e-mail left, its invoice still awaiting.
    const snapshotPath = path.join(dataDir, "snapshot.json");
    const snapshot = JSON.parse(fs.readFileSync(snapshotPath, "utf8")) as { documents: Array<Record<string, unknown>> };
    const team = snapshot.documents.find((d) => d._id === legacy.teamId);
    assert.ok(team !== undefined && team.billingEmail === "gone@legacy.test");
    delete team.billingEmail;
    fs.writeFileSync(snapshotPath, JSON.stringify(snapshot));
    sidecar = await startSidecarProcess({ dataDir, crons: false, serverSecret });
    ledger = createLedgerClient({ url: sidecar.url, serverSecret });

    const events: string[] = [];
    const outbox = path.join(data.dir, "outbox");
    const first = await deliverAwaitingInvoices({ ledger, mailer: new FileOutboxMailer(outbox), from: FROM, batchSize: 1, log: (e) => events.push(e) });
    assert.deepEqual([first.withoutRecipients, first.delivered, first.failed], [[legacy.invoice.invoiceId], [], []]);
    assert.ok(events.includes("invoice_without_recipients"));
    assert.equal((await ledger.as(legacy.owner).query(api.invoices.get, { invoiceId: legacy.invoice.invoiceId })).delivery, "no_recipient");
    const second = await deliverAwaitingInvoices({ ledger, mailer: new FileOutboxMailer(outbox), from: FROM, batchSize: 1 });
    assert.deepEqual(second.delivered.map((d) => d.invoiceId), [deliverable.invoiceId]);
    assert.deepEqual(second.withoutRecipients, []);
  });
});
