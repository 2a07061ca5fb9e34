import { eq, sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createUser } from "~/server/auth/credentials";
import { apiTokens } from "~/server/db/schema";
import { engines } from "~/test/db";
import { useTestDatabase } from "~/test/fixtures";
import { startMailServer, type TestMailServer } from "~/test/mail-server";
import { generateToken, regenerateToken, revokeToken, setTokenExpiry } from "./service";

const APP_URL = "https://carestral.example";

describe.each(engines)("token expiry notices on %s", (engine) => {
  const testDb = useTestDatabase(engine);
  let mail: TestMailServer;

  beforeAll(async () => {
    mail = await startMailServer();
  });
  afterAll(async () => {
    await mail?.close();
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  /** The job's module as a server with this mail configuration loads it. */
  async function loadJob(env: Record<string, string> = { SMTP_URL: mail.url }) {
    vi.stubEnv("NODE_ENV", "production");
    vi.stubEnv("APP_URL", APP_URL);
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
    vi.resetModules();
    return import("./expiry-notices");
  }

  async function newPerson() {
    const created = await createUser(testDb.db, {
      email: `expiry-${crypto.randomUUID()}@example.test`,
      firstname: "Ada",
      surname: "Lovelace",
      password: `pw-${crypto.randomUUID()}`,
    });
    if (!created.ok) throw new Error("email taken");
    return created.user;
  }

  /** A 30-day token made long ago, so that it now ends `endsIn` from now (a Postgres interval: '6 days', '-1 hour'). */
  async function tokenEnding(userId: string, endsIn: string, name = `token ${crypto.randomUUID().slice(0, 8)}`) {
    const token = await generateToken(testDb.db, userId, { name, scopes: ["read:data"], expiresInDays: 30 });
    await testDb.db
      .update(apiTokens)
      .set({ createdAt: sql`now() - interval '60 days'`, expiresAt: sql`now() + ${endsIn}::interval` })
      .where(eq(apiTokens.id, token.id));
    return token;
  }

  function mailsTo(email: string, subject?: string) {
    return mail.messages().filter((message) => message.to.includes(email) && (subject === undefined || message.subject === subject));
  }

  async function claims(tokenId: string) {
    const [row] = await testDb.db
      .select({ warning: apiTokens.expiryWarningSentAt, expired: apiTokens.expiredNoticeSentAt })
      .from(apiTokens)
      .where(eq(apiTokens.id, tokenId));
    return row;
  }

  it("warns once about a token that expires within 7 days, with a link to its page", async () => {
    const { sendExpiryNotices } = await loadJob();
    const person = await newPerson();
    const token = await tokenEnding(person.id, "6 days", "Laptop");
    await tokenEnding(person.id, "8 days");
    await sendExpiryNotices(testDb.db);
    await sendExpiryNotices(testDb.db);
    const warnings = mailsTo(person.email);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.subject).toBe("A Carestral token of yours expires soon");
    expect(warnings[0]?.text).toContain('Your Carestral token "Laptop" expires on');
    expect(warnings[0]?.text).toContain(`Regenerate or review the token: ${APP_URL}/dashboard/tokens/${token.id}`);
    expect((await claims(token.id))?.warning).toBeInstanceOf(Date);
  });

  it("tells once that a token has expired, not about one that expired long before", async () => {
    const { sendExpiryNotices } = await loadJob();
    const person = await newPerson();
    const token = await tokenEnding(person.id, "-1 hour", "Old laptop");
    await tokenEnding(person.id, "-30 days");
    await sendExpiryNotices(testDb.db);
    await sendExpiryNotices(testDb.db);
    const notices = mailsTo(person.email);
    expect(notices.map((notice) => notice.subject)).toEqual(["A Carestral token of yours has expired"]);
    expect(notices[0]?.text).toContain('Your Carestral token "Old laptop" expired on');
    expect(notices[0]?.text).toContain(`${APP_URL}/dashboard/tokens/${token.id}`);
  });

  it("sends each notice once even when several instances run at the same moment", async () => {
    const { sendExpiryNotices } = await loadJob();
    const person = await newPerson();
    const tokens = [];
    for (let n = 0; n < 6; n++) tokens.push(await tokenEnding(person.id, n % 2 === 0 ? "3 days" : "-2 hours"));
    // Small batches, so the runs interleave claim after claim.
    const runs = await Promise.all([1, 2, 3, 4].map(() => sendExpiryNotices(testDb.db, { batchSize: 1 })));
    expect(mailsTo(person.email, "A Carestral token of yours expires soon")).toHaveLength(3);
    expect(mailsTo(person.email, "A Carestral token of yours has expired")).toHaveLength(3);
    const sent = runs.reduce((total, run) => ({ warnings: total.warnings + run.warnings, expired: total.expired + run.expired }), { warnings: 0, expired: 0 });
    expect(sent.warnings).toBeGreaterThanOrEqual(3);
    expect(sent.expired).toBeGreaterThanOrEqual(3);
    for (const token of tokens) expect(await claims(token.id)).not.toEqual({ warning: null, expired: null });
  });

  it("never mails about revoked tokens, tokens without expiry, replaced secrets, OAuth tokens, or a lifetime chosen within the week", async () => {
    const { sendExpiryNotices } = await loadJob();
    const person = await newPerson();
    const revoked = await tokenEnding(person.id, "2 days");
    await revokeToken(testDb.db, person.id, revoked.id);
    const revokedAfterExpiry = await tokenEnding(person.id, "-1 hour");
    await revokeToken(testDb.db, person.id, revokedAfterExpiry.id);
    await testDb.db.update(apiTokens).set({ revokedAt: sql`now() - interval '2 hours'` }).where(eq(apiTokens.id, revokedAfterExpiry.id));
    await generateToken(testDb.db, person.id, { name: "Forever", scopes: ["read:data"], expiresInDays: null });
    await generateToken(testDb.db, person.id, { name: "A week", scopes: ["read:data"], expiresInDays: 7 });
    // Regenerated with a day of overlap: the old secret ends tomorrow by design; the new one lives 30 days.
    const rolled = await tokenEnding(person.id, "20 days");
    await regenerateToken(testDb.db, person.id, rolled.id, "1d");
    const [oauth] = await testDb.db
      .insert(apiTokens)
      .values({ userId: person.id, name: "Claude", tokenHash: `hash-${crypto.randomUUID()}`, tokenPrefix: "mcpo_x", scopes: ["read:data"], kind: "oauth_access", expiresAt: sql`now() - interval '5 minutes'`, createdAt: sql`now() - interval '65 minutes'` })
      .returning({ id: apiTokens.id });

    await sendExpiryNotices(testDb.db);
    expect(mailsTo(person.email)).toEqual([]);
    expect(await claims(oauth?.id ?? "")).toEqual({ warning: null, expired: null });
  });

  it("moving a token's expiry resets its notices, without a warning for an end set within the week", async () => {
    const { sendExpiryNotices } = await loadJob();
    const person = await newPerson();
    const token = await tokenEnding(person.id, "5 days");
    await sendExpiryNotices(testDb.db);
    expect(mailsTo(person.email)).toHaveLength(1);

    await setTokenExpiry(testDb.db, person.id, token.id, 3);
    await sendExpiryNotices(testDb.db);
    expect(mailsTo(person.email)).toHaveLength(1);

    await setTokenExpiry(testDb.db, person.id, token.id, 30);
    expect(await claims(token.id)).toEqual({ warning: null, expired: null });
    await testDb.db.update(apiTokens).set({ expiresAt: sql`now() + interval '6 days'` }).where(eq(apiTokens.id, token.id));
    await sendExpiryNotices(testDb.db);
    expect(mailsTo(person.email, "A Carestral token of yours expires soon")).toHaveLength(2);
  });

  it("claims nothing where the server cannot send mail, so the notices wait for SMTP_URL", async () => {
    const { sendExpiryNotices } = await loadJob({ SMTP_URL: "" });
    const person = await newPerson();
    const token = await tokenEnding(person.id, "4 days");
    expect(await sendExpiryNotices(testDb.db)).toEqual({ warnings: 0, expired: 0 });
    expect(await claims(token.id)).toEqual({ warning: null, expired: null });

    const withMail = await loadJob();
    await withMail.sendExpiryNotices(testDb.db);
    expect(mailsTo(person.email)).toHaveLength(1);
  });

  it("gives a notice back when the mail server fails, and sends it on a later run", async () => {
    const failing = await loadJob({ SMTP_URL: "smtp://127.0.0.1:1" });
    const person = await newPerson();
    const token = await tokenEnding(person.id, "-10 minutes");
    expect(await failing.sendExpiryNotices(testDb.db)).toEqual({ warnings: 0, expired: 0 });
    expect(await claims(token.id)).toEqual({ warning: null, expired: null });

    const working = await loadJob();
    await working.sendExpiryNotices(testDb.db);
    expect(mailsTo(person.email, "A Carestral token of yours has expired")).toHaveLength(1);
  });
});
