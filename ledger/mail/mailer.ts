// What the ledger's servers need from e-mail: send one message with attachments. Production uses
// SMTP (smtp.ts); the embedded default writes the messages to a file outbox (outbox.ts).

export interface MailAttachment {
  filename: string;
  content: Buffer;
  contentType: string;
}

export interface MailMessage {
  /** Sender, e.g. `Billing <billing@example.com>`. */
  from: string;
  to: string[];
  subject: string;
  text: string;
  attachments?: MailAttachment[];
}

export interface SentMail {
  messageId: string;
  /** Where it went: the SMTP server's answer or the outbox file. */
  destination: string;
}

export interface Mailer {
  /** Resolves once the message is accepted (by the SMTP server, or written to disk). */
  send(message: MailMessage): Promise<SentMail>;
  close(): Promise<void>;
}
