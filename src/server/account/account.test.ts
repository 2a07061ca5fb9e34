import { sql, type SQL } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { authenticateUser, createUser } from "~/server/auth/credentials";
import { consumeEmailLinkToken, createEmailLinkToken, isEmailLinkTokenValid } from "~/server/auth/email-links";
import { consumeAuthAttempt, authAttemptRule } from "~/server/auth/rate-limit";
import { WRONG_PASSWORD_MESSAGE } from "~/server/auth/messages";
import { createSession, generateSessionToken, validateSessionToken } from "~/server/auth/session";
import type { Database } from "~/server/db/client";
import { generateToken, settleLastUsedWrites, verifyBearerToken } from "~/server/tokens/service";
import { engines } from "~/test/db";
import { useTestDatabase } from "~/test/fixtures";
import { RESET_LINK_INVALID_MESSAGE, resetPasswordWithLink, VERIFY_LINK_INVALID_MESSAGE, verifyEmailWithLink } from "./email-flows";
import { accountExportStream, readAccountSections } from "./export";
import { listConnectedApps } from "~/server/oauth/grants";
import { findClient } from "~/server/oauth/clients";
import { refreshAccessToken } from "~/server/oauth/token-endpoint";
import { issueOAuthTokens } from "~/test/oauth-in-process";
import { changePassword, deleteAccount, signOutOtherSessions } from "./profile";

let counter = 0;

async function newUser(db: Database, overrides: { firstname?: string; surname?: string } = {}) {
  counter += 1;
  const password = `password-${counter}-${crypto.randomUUID()}`;
  const result = await createUser(db, {
    email: `account-${counter}-${Date.now()}@example.test`,
    firstname: overrides.firstname ?? "Ada",
    surname: overrides.surname ?? `Tester${counter}`,
    password,
  });
  if (!result.ok) throw new Error("email taken");
  return { ...result.user, password };
}

async function signedIn(db: Database, userId: string, userAgent: string | null = null) {
  const token = generateSessionToken();
  const session = await createSession(db, token, userId, userAgent);
  return { token, session };
}

/** Rows of a raw query: postgres-js returns an array, PGlite an object holding one. */
async function rowsOf<T>(db: Database, query: SQL): Promise<T[]> {
  const result: unknown = await db.execute(query);
  return Array.isArray(result) ? (result as T[]) : (result as { rows: T[] }).rows;
}

/** Every row of every table as JSON text: what a dump of the database would show. */
async function dumpEveryTable(db: Database): Promise<string> {
  const tables = await rowsOf<{ table_name: string }>(
    db,
    sql`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name`,
  );
  const parts: string[] = [];
  for (const { table_name: table } of tables) {
    const rows = await rowsOf<{ row: string }>(db, sql.raw(`select row_to_json(t)::text as row from "${table}" t`));
    for (const { row } of rows) parts.push(`${table}: ${row}`);
  }
  return parts.join("\n");
}


/** The whole export as one object, read from the stream the route sends. */
async function exportAccountData(db: Database, userId: string): Promise<Record<string, unknown>> {
  const stream = accountExportStream(db, userId, { head: await readAccountSections(db, userId) });
  return JSON.parse(await new Response(stream).text()) as Record<string, unknown>;
}

describe.each(engines)("account self-service on %s", (engine) => {
  const { db } = useTestDatabase(engine);
  afterEach(() => settleLastUsedWrites());

  describe("mailed links", () => {
    it("work once, for their own purpose, until they expire; a tampered one matches nothing", async () => {
      const user = await newUser(db);
      const now = new Date();
      const token = await createEmailLinkToken(db, user.id, "password_reset", now);
      const tamperedToken = `${token.slice(0, -1)}${token.endsWith("a") ? "b" : "a"}`;
      expect(await consumeEmailLinkToken(db, tamperedToken, "password_reset", now)).toBeNull();
      expect(await consumeEmailLinkToken(db, token, "email_verification", now)).toBeNull();
      expect(await consumeEmailLinkToken(db, "not a token at all", "password_reset", now)).toBeNull();

      const justBeforeExpiry = new Date(now.getTime() + 30 * 60_000 - 1);
      expect(await isEmailLinkTokenValid(db, token, "password_reset", justBeforeExpiry)).toBe(true);
      expect(await isEmailLinkTokenValid(db, token, "password_reset", new Date(now.getTime() + 30 * 60_000))).toBe(false);
      expect(await consumeEmailLinkToken(db, token, "password_reset", new Date(now.getTime() + 30 * 60_000))).toBeNull();

      expect(await consumeEmailLinkToken(db, token, "password_reset", justBeforeExpiry)).toBe(user.id);
      expect(await consumeEmailLinkToken(db, token, "password_reset", justBeforeExpiry)).toBeNull();
    });

    it("are stored only as a hash", async () => {
      const user = await newUser(db);
      const token = await createEmailLinkToken(db, user.id, "email_verification");
      expect(await dumpEveryTable(db)).not.toContain(token);
    });

    it("let only one of two concurrent uses through", async () => {
      const user = await newUser(db);
      const token = await createEmailLinkToken(db, user.id, "password_reset");
      const results = await Promise.all([1, 2, 3].map(() => consumeEmailLinkToken(db, token, "password_reset")));
      expect(results.filter(Boolean)).toEqual([user.id]);
    });

    it("reset the password once, end every session and every other reset link, and verify the email", async () => {
      const user = await newUser(db);
      const first = await signedIn(db, user.id);
      const second = await signedIn(db, user.id);
      const older = await createEmailLinkToken(db, user.id, "password_reset");
      const token = await createEmailLinkToken(db, user.id, "password_reset");
      expect(await resetPasswordWithLink(db, token, "a fresh new password")).toEqual({ userId: user.id, sessions: 2, tokens: 0, apps: 0 });
      expect((await validateSessionToken(db, first.token)).session).toBeNull();
      expect((await validateSessionToken(db, second.token)).session).toBeNull();
      await expect(resetPasswordWithLink(db, token, "another password")).rejects.toMatchObject({ kind: "invalid", message: RESET_LINK_INVALID_MESSAGE });
      await expect(resetPasswordWithLink(db, older, "another password")).rejects.toMatchObject({ kind: "invalid", message: RESET_LINK_INVALID_MESSAGE });
      expect((await exportAccountData(db, user.id)).profile).toMatchObject({ emailVerifiedAt: expect.any(String) });
    });

    it("verify the email once", async () => {
      const user = await newUser(db);
      const token = await createEmailLinkToken(db, user.id, "email_verification");
      expect(await verifyEmailWithLink(db, token)).toMatchObject({ user: { id: user.id }, wasAwaitingConfirmation: false });
      await expect(verifyEmailWithLink(db, token)).rejects.toMatchObject({ kind: "invalid", message: VERIFY_LINK_INVALID_MESSAGE });
    });

    it("an account awaiting confirmation signs in only once its link, or a reset link, was followed (issue 19 item 2)", async () => {
      for (const proof of ["email_verification", "password_reset"] as const) {
        counter += 1;
        const input = { email: `awaiting-${proof}-${counter}-${Date.now()}@example.test`, firstname: "Wait", surname: "Ing", password: `pw-${crypto.randomUUID()}` };
        const created = await createUser(db, input, "unknown", { awaitingConfirmation: true });
        if (!created.ok) throw new Error("email taken");
        expect(await authenticateUser(db, input)).toMatchObject({ id: created.user.id, awaitingConfirmation: true });
        const link = await createEmailLinkToken(db, created.user.id, proof);
        if (proof === "email_verification") {
          expect(await verifyEmailWithLink(db, link)).toMatchObject({ user: { id: created.user.id }, wasAwaitingConfirmation: true });
          expect(await authenticateUser(db, input)).toMatchObject({ awaitingConfirmation: false });
        } else {
          await resetPasswordWithLink(db, link, "the owner's own password");
          expect(await authenticateUser(db, { ...input, password: "the owner's own password" })).toMatchObject({ awaitingConfirmation: false });
        }
      }
    });
  });

  it("changing the password keeps this session and ends the others", async () => {
    const user = await newUser(db);
    const current = await signedIn(db, user.id);
    const other = await signedIn(db, user.id);
    const params = { userId: user.id, currentSessionId: current.session.id, newPassword: "the new password" };
    const token = await generateToken(db, user.id, { name: "Kept", scopes: ["read:data"], expiresInDays: 30 });
    await expect(changePassword(db, { ...params, currentPassword: "wrong password" })).rejects.toMatchObject({ kind: "forbidden", message: WRONG_PASSWORD_MESSAGE });
    expect((await validateSessionToken(db, other.token)).session).not.toBeNull();
    expect(await changePassword(db, { ...params, currentPassword: user.password })).toEqual({ sessions: 1, tokens: 0, apps: 0 });
    expect((await validateSessionToken(db, current.token)).session).not.toBeNull();
    expect((await validateSessionToken(db, other.token)).session).toBeNull();
    // Without the choice, tokens are left alone.
    expect((await verifyBearerToken(db, `Bearer ${token.token}`)).ok).toBe(true);
  });

  describe("an address claimed in advance (issue 19 item 2)", () => {
    /** The attacker's foothold: a session, a never-expiring personal token, and an OAuth connection with its refresh token. */
    async function claimedAccount() {
      const user = await newUser(db);
      const session = await signedIn(db, user.id);
      const personal = await generateToken(db, user.id, { name: "Claimed", scopes: ["read:data", "write:bookings"], expiresInDays: null });
      const oauth = await issueOAuthTokens(db, user.id, ["read:data"]);
      const found = await findClient(db, oauth.clientId);
      if (!found.ok) throw new Error(found.description);
      const refresh = () => refreshAccessToken(db, found.client, new URLSearchParams({ refresh_token: oauth.refreshToken }));
      return { user, session, personal, oauth, refresh };
    }

    async function expectNoAccessLeft(claim: Awaited<ReturnType<typeof claimedAccount>>) {
      expect((await verifyBearerToken(db, `Bearer ${claim.personal.token}`)).ok).toBe(false);
      expect((await verifyBearerToken(db, `Bearer ${claim.oauth.accessToken}`)).ok).toBe(false);
      expect(await claim.refresh()).toMatchObject({ ok: false });
      expect((await listConnectedApps(db, claim.user.id)).filter((app) => app.revokedAt === null)).toEqual([]);
    }

    it("a reset through the mailed link ends every session and revokes every token and connection, and says how many", async () => {
      const claim = await claimedAccount();
      expect((await verifyBearerToken(db, `Bearer ${claim.personal.token}`)).ok).toBe(true);
      const link = await createEmailLinkToken(db, claim.user.id, "password_reset");
      expect(await resetPasswordWithLink(db, link, "the owner's own password")).toEqual({ userId: claim.user.id, sessions: 1, tokens: 1, apps: 1 });
      expect((await validateSessionToken(db, claim.session.token)).session).toBeNull();
      await expectNoAccessLeft(claim);
    });

    it("a password change revokes them too when asked", async () => {
      const claim = await claimedAccount();
      const owner = await signedIn(db, claim.user.id);
      const revoked = await changePassword(db, {
        userId: claim.user.id,
        currentSessionId: owner.session.id,
        currentPassword: claim.user.password,
        newPassword: "the owner's own password",
        revokeAccess: true,
      });
      expect(revoked).toEqual({ sessions: 1, tokens: 1, apps: 1 });
      expect((await validateSessionToken(db, owner.token)).session).not.toBeNull();
      await expectNoAccessLeft(claim);
    });

    it("Sign out everywhere else revokes them too when asked, and only then", async () => {
      const claim = await claimedAccount();
      const owner = await signedIn(db, claim.user.id);
      expect(await signOutOtherSessions(db, { userId: claim.user.id, currentSessionId: owner.session.id })).toEqual({ sessions: 1, tokens: 0, apps: 0 });
      expect((await verifyBearerToken(db, `Bearer ${claim.personal.token}`)).ok).toBe(true);
      expect(await signOutOtherSessions(db, { userId: claim.user.id, currentSessionId: owner.session.id, revokeAccess: true })).toEqual({
        sessions: 0,
        tokens: 1,
        apps: 1,
      });
      expect((await validateSessionToken(db, owner.token)).session).not.toBeNull();
      await expectNoAccessLeft(claim);
    });
  });

  it("exports the person's data without any hash or secret", async () => {
    const user = await newUser(db, { firstname: "Exa", surname: "Portman" });
    const session = await signedIn(db, user.id, "curl/8.5.0");
    const token = await generateToken(db, user.id, { name: "Export me", scopes: ["read:data"], expiresInDays: 30 });
    const exported = await exportAccountData(db, user.id);
    expect(exported.profile).toMatchObject({ email: user.email, firstname: "Exa", surname: "Portman" });
    expect(exported.tokens).toEqual([expect.objectContaining({ name: "Export me", scopes: ["read:data"], status: "active" })]);
    expect(exported.sessions).toEqual([expect.objectContaining({ device: "curl", userAgent: "curl/8.5.0" })]);
    expect(exported.bookings).toEqual([]);
    const json = JSON.stringify(exported);
    for (const secret of [token.token, user.password, session.token, session.session.id]) expect(json).not.toContain(secret);
    expect(json).not.toMatch(/hash|argon2/i);
  });

  it("deleting the account needs the password, stops every token at once and leaves no row that names the person", async () => {
    const user = await newUser(db, { firstname: "Delphine", surname: "Effacee" });
    const bystander = await newUser(db);
    await signedIn(db, user.id, "Mozilla/5.0 (X11; Linux x86_64) Firefox/131.0");
    const token = await generateToken(db, user.id, { name: "Delphine's laptop", scopes: ["read:data"], expiresInDays: null });
    await createEmailLinkToken(db, user.id, "password_reset");
    await consumeAuthAttempt(db, { kind: "signin", ip: "192.0.2.1", email: user.email }, authAttemptRule(10));
    await consumeAuthAttempt(db, { kind: "password", ip: "192.0.2.1", email: user.email }, authAttemptRule(10));
    expect((await verifyBearerToken(db, `Bearer ${token.token}`)).ok).toBe(true);

    await expect(deleteAccount(db, user.id, "not the password")).rejects.toMatchObject({ kind: "forbidden", message: WRONG_PASSWORD_MESSAGE });
    await deleteAccount(db, user.id, user.password);

    const verification = await verifyBearerToken(db, `Bearer ${token.token}`);
    expect(verification).toMatchObject({ ok: false, reason: "unknown" });
    const dump = await dumpEveryTable(db);
    expect(dump).toContain(bystander.email);
    for (const identifying of [user.email, user.id, "Delphine", "Effacee"]) expect(dump).not.toContain(identifying);
  });
});
