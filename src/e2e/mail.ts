import { expect } from "@playwright/test";

// Where the e2e app sends mail (src/test/mail-catcher.ts, started by playwright.config.ts), offset from
// E2E_PORT so that several checkouts can run their browser tests side by side.
const e2ePort = Number(process.env.E2E_PORT ?? 3100);
export const mailCatcherPorts = { smtp: e2ePort + 20000, http: e2ePort + 21000 };

interface CaughtMail {
  to: string[];
  subject: string;
  text: string;
}

/** Waits for a mail to `to` whose subject contains `subject`, and returns the first link in it. */
export async function linkFromMail(to: string, subject: string): Promise<string> {
  let link: string | undefined;
  await expect
    .poll(
      async () => {
        const response = await fetch(`http://127.0.0.1:${mailCatcherPorts.http}/messages`);
        const messages = (await response.json()) as CaughtMail[];
        const mail = messages.filter((message) => message.to.includes(to.toLowerCase()) && message.subject.includes(subject)).at(-1);
        link = mail?.text.match(/https?:\/\/\S+/)?.[0];
        return link;
      },
      { message: `a mail to ${to} about "${subject}"`, timeout: 15_000 },
    )
    .toBeTruthy();
  return link ?? "";
}
