import { simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";

/** One message as the SMTP server received it. */
export interface ReceivedMail {
  to: string[];
  from: string;
  subject: string;
  text: string;
  html: string;
  receivedAt: number;
}

export interface TestMailServer {
  port: number;
  /** SMTP_URL for the app under test. */
  url: string;
  messages(): ReceivedMail[];
  /**
   * Waits for the first message to `to` (after `since` messages to that address were already read); with
   * `subject`, only messages whose subject contains it count (security mail may arrive in between).
   */
  waitForMail(to: string, options?: { since?: number; subject?: string; timeoutMs?: number }): Promise<ReceivedMail>;
  close(): Promise<void>;
}

/** A real SMTP server on 127.0.0.1 that keeps every message it receives, parsed. */
export async function startMailServer(port = 0): Promise<TestMailServer> {
  const received: ReceivedMail[] = [];
  const server = new SMTPServer({
    // Plain SMTP on loopback: no TLS, no login, as nodemailer sends to smtp://127.0.0.1:port.
    disabledCommands: ["STARTTLS", "AUTH"],
    authOptional: true,
    logger: false,
    // The app keeps pooled connections open; close() should not wait the default 30 s for them.
    closeTimeout: 500,
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((mail) => {
          received.push({
            to: session.envelope.rcptTo.map((recipient) => recipient.address.toLowerCase()),
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
            subject: mail.subject ?? "",
            text: mail.text ?? "",
            html: typeof mail.html === "string" ? mail.html : "",
            receivedAt: Date.now(),
          });
          callback();
        })
        .catch((error: Error) => callback(error));
    },
  });
  const boundPort = await new Promise<number>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      const address = server.server.address();
      if (typeof address === "object" && address) resolve(address.port);
      else reject(new Error("SMTP server has no port"));
    });
  });

  const messagesTo = (to: string) => received.filter((mail) => mail.to.includes(to.toLowerCase()));
  return {
    port: boundPort,
    url: `smtp://127.0.0.1:${boundPort}`,
    messages: () => [...received],
    async waitForMail(to, { since = 0, subject, timeoutMs = 15_000 } = {}) {
      const matching = () => messagesTo(to).filter((mail) => subject === undefined || mail.subject.includes(subject));
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const mail = matching()[since];
        if (mail) return mail;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`No mail to ${to}${subject ? ` about "${subject}"` : ""} within ${timeoutMs} ms (${matching().length} before)`);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The first link in a message's text that starts with `prefix` (e.g. `${url}/reset-password`). */
export function linkIn(mail: ReceivedMail, prefix: string): URL {
  const match = mail.text.match(/https?:\/\/\S+/g)?.find((link) => link.startsWith(prefix));
  if (!match) throw new Error(`No link starting with ${prefix} in mail "${mail.subject}"`);
  return new URL(match);
}
