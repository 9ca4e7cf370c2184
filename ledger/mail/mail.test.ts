// Mail goes out through real SMTP in production and lands in a file outbox in the embedded default.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { SMTPServer } from "smtp-server";
import { tempDir } from "../testing/support";
import { createMailer, DEFAULT_MAIL_FROM, FileOutboxMailer, mailFrom, SmtpMailer, type MailMessage } from "./index";

const pdfBytes = Buffer.from("%PDF-1.3\n% a tiny stand-in document\n%%EOF\n", "latin1");

const message: MailMessage = {
  from: "Billing <billing@example.test>",
  to: ["owner@acme.test", "billing@acme.test"],
  subject: "Invoice INV-1 for Acme, April 2025: 60.00 USDC",
  text: "Total: 60.00 USDC\n",
  attachments: [{ filename: "INV-1.pdf", content: pdfBytes, contentType: "application/pdf" }],
};

/** The base64 body of the MIME part whose headers name `filename`. */
function attachmentOf(raw: string, filename: string): Buffer {
  const at = raw.indexOf(`filename=${filename}`);
  assert.ok(at >= 0, `no part for ${filename}`);
  const body = raw.slice(raw.indexOf("\n\n", at) + 2);
  return Buffer.from(body.slice(0, body.indexOf("\n--")).replace(/\s+/g, ""), "base64");
}

describe("mailers", function () {
  it("writes a file outbox message with its PDF beside it", async function () {
    const out = tempDir("outbox");
    try {
      const mailer = new FileOutboxMailer(out.dir);
      const sent = await mailer.send(message);
      assert.match(sent.destination, /\.eml$/);
      const files = fs.readdirSync(out.dir).sort();
      assert.equal(files.length, 2);
      const eml = fs.readFileSync(sent.destination, "utf8");
      assert.match(eml, /^To: owner@acme\.test, billing@acme\.test$/m);
      assert.match(eml, /^Subject: Invoice INV-1 for Acme, April 2025: 60\.00 USDC$/m);
      assert.match(eml, new RegExp(`^Message-ID: ${sent.messageId.replace(/[.+]/g, "\\$&")}$`, "m"));
      assert.deepEqual(attachmentOf(eml, "INV-1.pdf"), pdfBytes);
      const pdfFile = files.find((file) => file.endsWith("-INV-1.pdf"));
      assert.ok(pdfFile);
      assert.deepEqual(fs.readFileSync(path.join(out.dir, pdfFile)), pdfBytes);
      assert.ok(!files.some((file) => file.endsWith(".tmp")));
    } finally {
      out.cleanup();
    }
  });

  it("refuses a message without recipients", async function () {
    const out = tempDir("outbox-empty");
    try {
      await assert.rejects(new FileOutboxMailer(out.dir).send({ ...message, to: [] }), /at least one recipient/);
      assert.deepEqual(fs.readdirSync(out.dir), []);
    } finally {
      out.cleanup();
    }
  });

  it("delivers over SMTP to a real server with the PDF attached", async function () {
    const received: Array<{ from: string; to: string[]; raw: string }> = [];
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ["AUTH", "STARTTLS"],
      logger: false,
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on("data", (chunk: Buffer) => chunks.push(chunk));
        stream.on("end", () => {
          received.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
            to: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks).toString("utf8").replace(/\r\n/g, "\n"),
          });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    const port = (server.server.address() as AddressInfo).port;
    const mailer = new SmtpMailer({ url: `smtp://127.0.0.1:${port}` });
    try {
      const sent = await mailer.send(message);
      assert.match(sent.destination, /^250/);
      assert.equal(received.length, 1);
      assert.equal(received[0].from, "billing@example.test");
      assert.deepEqual(received[0].to, ["owner@acme.test", "billing@acme.test"]);
      assert.deepEqual(attachmentOf(received[0].raw, "INV-1.pdf"), pdfBytes);
    } finally {
      await mailer.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it("fails the send when the SMTP server cannot be reached", async function () {
    const mailer = new SmtpMailer({ url: "smtp://127.0.0.1:1", timeoutMs: 2000 });
    await assert.rejects(mailer.send(message), /ECONNREFUSED/);
    await mailer.close();
  });

  it("picks SMTP when SMTP_URL is set and the outbox otherwise", async function () {
    const smtp = createMailer({ SMTP_URL: "smtp://127.0.0.1:2525" });
    assert.ok(smtp instanceof SmtpMailer);
    await smtp.close();
    const outbox = createMailer({ MAIL_OUTBOX_DIR: "/tmp/somewhere" });
    assert.ok(outbox instanceof FileOutboxMailer && outbox.dir === "/tmp/somewhere");
    assert.ok(createMailer({}) instanceof FileOutboxMailer);
    assert.equal(mailFrom({}), DEFAULT_MAIL_FROM);
    assert.equal(mailFrom({ MAIL_FROM: "a@b.test" }), "a@b.test");
  });
});
