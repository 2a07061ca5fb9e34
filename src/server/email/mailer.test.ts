import { afterEach, describe, expect, it, vi } from "vitest";
import { startMailServer } from "~/test/mail-server";

async function loadMailer(env: Record<string, string>) {
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  vi.resetModules();
  return import("./mailer");
}

const message = {
  to: "ada@example.test",
  subject: "Reset your Carestral password",
  text: "Choose a new password: http://localhost:3000/reset-password?token=abc\n",
  html: "<p>hi</p>",
};

describe("mailer", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it("prints the whole message, link included, clearly marked, in development without SMTP_URL", async () => {
    const mailer = await loadMailer({ NODE_ENV: "development", SMTP_URL: "" });
    const info = vi.spyOn(console, "info").mockImplementation(() => {});
    expect(mailer.mailDelivery()).toBe("log");
    await mailer.sendMail(message);
    const printed = info.mock.calls.map((call) => String(call[0])).join("\n");
    expect(printed).toContain("======== MAIL (development: SMTP_URL is not set, so this was printed, not sent) ========");
    expect(printed).toContain("To: ada@example.test");
    expect(printed).toContain("http://localhost:3000/reset-password?token=abc");
    expect(printed).toContain("======== END OF MAIL ========");
  });

  it("refuses to send, and says why, in production without SMTP_URL", async () => {
    const mailer = await loadMailer({ NODE_ENV: "production", SMTP_URL: "" });
    const info = vi.spyOn(console, "info").mockImplementation(() => {});
    expect(mailer.isMailAvailable()).toBe(false);
    await expect(mailer.sendMail(message)).rejects.toBeInstanceOf(mailer.MailUnavailableError);
    expect(info).not.toHaveBeenCalled();
  });

  it("sends text and HTML through SMTP_URL, from MAIL_FROM", async () => {
    const server = await startMailServer();
    try {
      const mailer = await loadMailer({ NODE_ENV: "production", SMTP_URL: server.url, MAIL_FROM: "Carestral <accounts@carestral.example>" });
      await mailer.sendMail(message);
      const received = await server.waitForMail("ada@example.test");
      expect(received).toMatchObject({ from: "accounts@carestral.example", subject: message.subject, text: message.text, html: message.html });
    } finally {
      await server.close();
    }
  });
});
