import { eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createUser } from "~/server/auth/credentials";
import { users } from "~/server/db/schema";
import { engines } from "~/test/db";
import { useTestDatabase } from "~/test/fixtures";
import { startMailServer, type TestMailServer } from "~/test/mail-server";
import { composeSecurityMail, formatMailTime, type SecurityEvent } from "./security-mail";

const APP_URL = "http://localhost:3000";
const recipient = { email: "ada@example.test", firstname: "Ada", timeZone: null };
const at = new Date("2026-12-04T17:14:00Z");
const origin = { ip: "203.0.113.7", userAgent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36" };
const tokenId = "3f1c2d4e-0000-4000-8000-000000000001";

// Each kind: its subject, what the text must say happened, and the page its link opens.
const kinds: { event: SecurityEvent; subject: string; says: string[]; path: string }[] = [
  {
    event: { kind: "token_created", tokenId, tokenName: "Claude Desktop", scopes: ["read:data", "write:bookings"], expiresAt: new Date("2027-01-03T17:14:00Z") },
    subject: "A new token was created for your Carestral account",
    says: ['A personal access token named "Claude Desktop" was created', "read:data, write:bookings", "expires on Jan 3, 2027, 17:14 GMT+0 (UTC)", "revoke the token"],
    path: `/dashboard/tokens/${tokenId}`,
  },
  {
    event: { kind: "app_connected", clientName: "Claude Code", clientHost: "claude.ai", scopes: ["read:data"] },
    subject: "An app was connected to your Carestral account",
    says: ['"Claude Code" (claude.ai) was allowed', "It may use: read:data", "Revoke access"],
    path: "/dashboard/tokens",
  },
  {
    event: { kind: "token_expiring", tokenId, tokenName: "Laptop", expiresAt: new Date("2026-12-11T09:00:00Z") },
    subject: "A Carestral token of yours expires soon",
    says: ['"Laptop" expires on Dec 11, 2026, 09:00 GMT+0 (UTC)', "in 7 days", "Regenerate"],
    path: `/dashboard/tokens/${tokenId}`,
  },
  {
    event: { kind: "token_expired", tokenId, tokenName: "Laptop", expiredAt: new Date("2026-12-04T09:00:00Z") },
    subject: "A Carestral token of yours has expired",
    says: ['"Laptop" expired on Dec 4, 2026, 09:00 GMT+0 (UTC)', "Regenerate"],
    path: `/dashboard/tokens/${tokenId}`,
  },
  {
    event: { kind: "password_changed" },
    subject: "Your Carestral password was changed",
    says: ["password of your Carestral account was changed", "If this was not you, someone has your password"],
    path: "/forgot-password",
  },
  {
    event: { kind: "password_reset" },
    subject: "Your Carestral password was reset",
    says: ["was reset through a link mailed to this address", "secure your email account first"],
    path: "/forgot-password",
  },
  {
    event: { kind: "second_factor_added", method: "passkey", name: "YubiKey" },
    subject: "A second factor was added to your Carestral account",
    says: ['The passkey "YubiKey" was added', "remove it under Two-factor authentication"],
    path: "/settings",
  },
  {
    event: { kind: "second_factor_removed", method: "authenticator_app", twoFactorOff: false },
    subject: "A second factor was removed from your Carestral account",
    says: ["An authenticator app was removed"],
    path: "/settings",
  },
  {
    event: { kind: "second_factor_removed", method: "authenticator_app", twoFactorOff: true },
    subject: "Two-factor authentication was turned off for your Carestral account",
    says: ["your password alone now signs in"],
    path: "/settings",
  },
  {
    event: { kind: "new_device_sign_in" },
    subject: "New sign-in to your Carestral account",
    says: ["from a device or browser it has not been used from before", "someone else has your password", "Sign out everywhere else"],
    path: "/settings",
  },
];

describe("security mail", () => {
  it.each(kinds)("$event.kind: says what happened, when with the zone, from where, what to do, and links to $path", ({ event, subject, says, path }) => {
    const mail = composeSecurityMail(event, recipient, { at, origin });
    expect(mail.to).toBe(recipient.email);
    expect(mail.subject).toBe(subject);
    for (const words of says) expect(mail.text).toContain(words);
    expect(mail.text).toContain("When: Dec 4, 2026, 17:14 GMT+0 (UTC).");
    expect(mail.text).toContain("From: Chrome on macOS, IP address 203.0.113.7.");
    expect(mail.text).toMatch(/If this was not you|If you no longer use it|If you still need it/);
    // Whoever finds a change that was not theirs gets the way back in, even when locked out.
    if (event.kind !== "token_expiring" && event.kind !== "token_expired") expect(mail.text).toContain(`${APP_URL}/forgot-password`);
    // The first link is the page to act on (what a reader clicks first, and what e2e follows).
    expect(mail.text.match(/https?:\/\/\S+/)?.[0]).toBe(`${APP_URL}${path}`);
    expect(mail.html).toContain(`<a href="${APP_URL}${path}">`);
  });

  it("reads the time in the person's own zone when they chose one, and says which; in UTC, as the dashboard does, without one", () => {
    expect(formatMailTime(at, "America/New_York")).toBe("Dec 4, 2026, 12:14 GMT-5 (America/New_York)");
    expect(formatMailTime(at, "Europe/Paris")).toBe("Dec 4, 2026, 18:14 GMT+1 (Europe/Paris)");
    expect(formatMailTime(at, null)).toBe("Dec 4, 2026, 17:14 GMT+0 (UTC)");
    expect(formatMailTime(at, "Not/AZone")).toBe("Dec 4, 2026, 17:14 GMT+0 (UTC)");
  });

  it("escapes what people and clients named in the HTML part", () => {
    const mail = composeSecurityMail({ kind: "app_connected", clientName: "<img src=x onerror=alert(1)>", clientHost: null, scopes: ["read:data"] }, recipient, { at, origin: null });
    expect(mail.html).not.toContain("<img");
    expect(mail.text).toContain("(its name is unverified)");
    expect(mail.text).not.toContain("From:");
  });
});

describe.each(engines)("security mail sent through SMTP on %s", (engine) => {
  const testDb = useTestDatabase(engine);
  let server: TestMailServer;

  beforeAll(async () => {
    server = await startMailServer();
  });
  afterAll(async () => {
    await server?.close();
  });
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  async function loadSecurityMail(env: Record<string, string>) {
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
    vi.resetModules();
    return import("./security-mail");
  }

  async function newAccount(timeZone?: string) {
    const email = `security-${crypto.randomUUID()}@example.test`;
    const created = await createUser(testDb.db, { email, firstname: "Grace", surname: "Hopper", password: `pw-${crypto.randomUUID()}` });
    if (!created.ok) throw new Error("email taken");
    if (timeZone) await testDb.db.update(users).set({ timeZone }).where(eq(users.id, created.user.id));
    return created.user;
  }

  it("reaches the account's address, in its chosen zone", async () => {
    const securityMail = await loadSecurityMail({ NODE_ENV: "production", SMTP_URL: server.url, APP_URL: "https://carestral.example" });
    const user = await newAccount("Asia/Tokyo");
    await securityMail.notifySecurityEvent(testDb.db, user.id, { kind: "password_changed" }, origin);
    const received = await server.waitForMail(user.email);
    expect(received.subject).toBe("Your Carestral password was changed");
    expect(received.text).toContain("Hello Grace,");
    expect(received.text).toMatch(/When: .* GMT\+9 \(Asia\/Tokyo\)\./);
    expect(received.text).toContain("https://carestral.example/forgot-password");
  });

  it("is skipped, and changes nothing, where the server cannot send mail (production without SMTP_URL)", async () => {
    const securityMail = await loadSecurityMail({ NODE_ENV: "production", SMTP_URL: "" });
    const info = vi.spyOn(console, "info").mockImplementation(() => {});
    const user = await newAccount();
    expect(await securityMail.sendSecurityMail(testDb.db, user.id, { kind: "new_device_sign_in" }, { origin })).toBe(false);
    expect(info).not.toHaveBeenCalled();
  });

  it("is printed to the log in development without SMTP_URL", async () => {
    const securityMail = await loadSecurityMail({ NODE_ENV: "development", SMTP_URL: "" });
    const info = vi.spyOn(console, "info").mockImplementation(() => {});
    const user = await newAccount();
    expect(await securityMail.sendSecurityMail(testDb.db, user.id, { kind: "new_device_sign_in" }, { origin })).toBe(true);
    const printed = info.mock.calls.map((call) => String(call[0])).join("\n");
    expect(printed).toContain(`To: ${user.email}`);
    expect(printed).toContain("Subject: New sign-in to your Carestral account");
  });

  it("logs a failure without throwing: the change it reports has happened either way", async () => {
    const securityMail = await loadSecurityMail({ NODE_ENV: "production", SMTP_URL: "smtp://127.0.0.1:1" });
    const user = await newAccount();
    await expect(securityMail.notifySecurityEvent(testDb.db, user.id, { kind: "password_changed" }, origin)).resolves.toBeUndefined();
  });
});
