import nodemailer, { type Transporter } from "nodemailer";
import { env } from "~/env";
import { metrics } from "~/server/observability/metrics";

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/**
 * How account mail leaves: through SMTP_URL; printed to the server log when SMTP_URL is unset outside
 * production (development needs no mail server); unavailable in production without SMTP_URL, where
 * printing a reset link to a shared log would hand accounts to whoever reads it.
 */
export type MailDelivery = "smtp" | "log" | "unavailable";

export function mailDelivery(): MailDelivery {
  if (env.SMTP_URL) return "smtp";
  return env.NODE_ENV === "production" ? "unavailable" : "log";
}

export function isMailAvailable(): boolean {
  return mailDelivery() !== "unavailable";
}

/** Thrown when mail is needed but the server cannot send any: callers turn it into a clear "unavailable". */
export class MailUnavailableError extends Error {
  constructor() {
    super("This server cannot send email (SMTP_URL is not set).");
    this.name = "MailUnavailableError";
  }
}

const mailFrom = env.MAIL_FROM ?? `Carestral <no-reply@${new URL(env.APP_URL).hostname}>`;

let transport: Transporter | undefined;

function smtpTransport(url: string): Transporter {
  // A pooled connection reused across messages; bounded waits so a dead mail server fails, never hangs.
  transport ??= nodemailer.createTransport({
    url,
    pool: true,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
  });
  return transport;
}

export async function sendMail(message: MailMessage): Promise<void> {
  const delivery = mailDelivery();
  if (delivery === "unavailable") throw new MailUnavailableError();
  if (delivery === "log" || !env.SMTP_URL) {
    // Not a log line but development's stand-in for a mail server, link and all: deliberately outside the
    // JSON logger, whose redaction would remove the link. Never in production (mailDelivery above).
    console.info(formatLoggedMail(message));
    return;
  }
  try {
    await smtpTransport(env.SMTP_URL).sendMail({ from: mailFrom, ...message });
  } catch (error) {
    metrics().mail.inc({ outcome: "failed" });
    throw error;
  }
  metrics().mail.inc({ outcome: "sent" });
}

/** The development stand-in for sending: the whole message, fenced so it stands out in the server log. */
export function formatLoggedMail(message: MailMessage): string {
  return [
    "",
    "======== MAIL (development: SMTP_URL is not set, so this was printed, not sent) ========",
    `To: ${message.to}`,
    `Subject: ${message.subject}`,
    "",
    message.text.trimEnd(),
    "======== END OF MAIL ========",
    "",
  ].join("\n");
}
