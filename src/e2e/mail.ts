import { expect } from "@playwright/test";

// Where the e2e app sends mail (src/test/mail-catcher.ts, started by playwright.config.ts), offset from
// E2E_PORT so that several checkouts can run their browser tests side by side.
const e2ePort = Number(process.env.E2E_PORT ?? 3100);
export const mailCatcherPorts = { smtp: e2ePort + 20000, http: e2ePort + 21000 };

export interface CaughtMail {
  to: string[];
  subject: string;
  text: string;
}

/** Waits for the latest mail to `to` whose subject contains `subject`, and returns it. */
export async function mailTo(to: string, subject: string): Promise<CaughtMail> {
  let found: CaughtMail | undefined;
  await expect
    .poll(
      async () => {
        const response = await fetch(`http://127.0.0.1:${mailCatcherPorts.http}/messages`);
        const messages = (await response.json()) as CaughtMail[];
        found = messages.filter((message) => message.to.includes(to.toLowerCase()) && message.subject.includes(subject)).at(-1);
        return found !== undefined;
      },
      { message: `a mail to ${to} about "${subject}"`, timeout: 15_000 },
    )
    .toBe(true);
  if (!found) throw new Error(`no mail to ${to} about "${subject}"`);
  return found;
}

/** The first link in a mail's text. */
export function firstLink(mail: CaughtMail): string {
  const link = mail.text.match(/https?:\/\/\S+/)?.[0];
  if (!link) throw new Error(`no link in the mail "${mail.subject}"`);
  return link;
}

/** Waits for a mail to `to` whose subject contains `subject`, and returns the first link in it. */
export async function linkFromMail(to: string, subject: string): Promise<string> {
  return firstLink(await mailTo(to, subject));
}
