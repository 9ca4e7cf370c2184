// The embedded default's mailer: each message becomes `<stamp>-<id>.eml` in an outbox directory
// (default .data/outbox/), with its attachments written beside it under the same stem, so a
// developer can open the mail and the invoice PDF without a mail server.
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { composeMessage } from "./compose";
import type { MailMessage, Mailer, SentMail } from "./mailer";

export const DEFAULT_OUTBOX_DIR = path.resolve(__dirname, "..", "..", ".data", "outbox");

/** Writes atomically: readers never see half a file. */
function writeFileAtomic(file: string, content: Buffer): void {
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, content);
  fs.renameSync(tmp, file);
}

function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 120);
}

export class FileOutboxMailer implements Mailer {
  constructor(readonly dir: string = DEFAULT_OUTBOX_DIR) {}

  async send(message: MailMessage): Promise<SentMail> {
    fs.mkdirSync(this.dir, { recursive: true });
    const { raw, messageId } = await composeMessage(message);
    const stem = `${new Date().toISOString().replace(/[:.]/g, "-")}-${randomBytes(4).toString("hex")}`;
    for (const attachment of message.attachments ?? []) {
      writeFileAtomic(path.join(this.dir, `${stem}-${safeName(attachment.filename)}`), attachment.content);
    }
    // The .eml last: its presence says the whole message is there.
    const eml = path.join(this.dir, `${stem}.eml`);
    writeFileAtomic(eml, raw);
    return { messageId, destination: eml };
  }

  async close(): Promise<void> {}
}
