// RFC 5322 messages built by nodemailer's own composer, so the outbox holds exactly what SMTP
// would carry.
import nodemailer from "nodemailer";
import type { MailMessage } from "./mailer";

const composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: "unix" });

export function toNodemailer(message: MailMessage) {
  if (message.to.length === 0) throw new Error("a message needs at least one recipient");
  return {
    from: message.from,
    to: message.to,
    subject: message.subject,
    text: message.text,
    attachments: (message.attachments ?? []).map((a) => ({
      filename: a.filename,
      content: a.content,
      contentType: a.contentType,
    })),
  };
}

/** The raw message (headers + MIME body) and its Message-ID. */
export async function composeMessage(message: MailMessage): Promise<{ raw: Buffer; messageId: string }> {
  const info = await composer.sendMail(toNodemailer(message));
  return { raw: info.message as Buffer, messageId: info.messageId };
}
