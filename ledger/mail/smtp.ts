// Production mailer: SMTP through nodemailer, configured by a URL such as
// `smtps://user:password@smtp.example.com:465` or `smtp://smtp.example.com:587` (STARTTLS when the
// server offers it).
import nodemailer, { type Transporter } from "nodemailer";
import { toNodemailer } from "./compose";
import type { MailMessage, Mailer, SentMail } from "./mailer";

export interface SmtpMailerOptions {
  url: string;
  /** Connection, greeting and socket timeouts, ms (default 30 000). */
  timeoutMs?: number;
  /** Test servers with self-signed certificates only. */
  allowSelfSignedCertificates?: boolean;
}

export class SmtpMailer implements Mailer {
  private readonly transport: Transporter;

  constructor(options: SmtpMailerOptions) {
    const timeout = options.timeoutMs ?? 30_000;
    this.transport = nodemailer.createTransport({
      url: options.url,
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
      ...(options.allowSelfSignedCertificates ? { tls: { rejectUnauthorized: false } } : {}),
    });
  }

  async send(message: MailMessage): Promise<SentMail> {
    const info = await this.transport.sendMail(toNodemailer(message));
    return { messageId: info.messageId, destination: String(info.response) };
  }

  async close(): Promise<void> {
    this.transport.close();
  }
}
