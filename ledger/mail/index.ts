// Picks the mailer from the environment: SMTP when SMTP_URL is set (production), otherwise the
// file outbox (embedded default; MAIL_OUTBOX_DIR overrides .data/outbox/). MAIL_FROM is the sender.
import { FileOutboxMailer } from "./outbox";
import { SmtpMailer } from "./smtp";
import type { Mailer } from "./mailer";

export type { MailAttachment, MailMessage, Mailer, SentMail } from "./mailer";
export { FileOutboxMailer, DEFAULT_OUTBOX_DIR } from "./outbox";
export { SmtpMailer } from "./smtp";

export const DEFAULT_MAIL_FROM = "Prepaid Billing <billing@localhost>";

type Env = Record<string, string | undefined>;

export function createMailer(env: Env = process.env): Mailer {
  if (env.SMTP_URL) return new SmtpMailer({ url: env.SMTP_URL });
  return new FileOutboxMailer(env.MAIL_OUTBOX_DIR || undefined);
}

export function mailFrom(env: Env = process.env): string {
  return env.MAIL_FROM || DEFAULT_MAIL_FROM;
}
