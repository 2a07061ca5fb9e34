import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SESSION_COOKIE_NAME } from "~/server/auth/cookie";
import { callTool, createToken, dumpAllTables, findBookableHospital, futureSlot, postMcp, toolCall, withPostgres } from "~/reliability/fixtures";
import { testDatabaseUrl } from "~/test/env";
import { startTestServer } from "~/test/fixtures";
import { linkIn, startMailServer, type ReceivedMail, type TestMailServer } from "~/test/mail-server";
import { startServer, type TestServer } from "~/test/server";
import { CookieJar, createHttpClient, signUpOverHttp, type SignedUpClient } from "~/test/trpc-http";
import { AWAITING_CONFIRMATION_MESSAGE } from "./auth";
import {
  MAIL_UNAVAILABLE_MESSAGE,
  RESET_LINK_INVALID_MESSAGE,
  RESET_REQUESTED_MESSAGE,
  VERIFY_LINK_INVALID_MESSAGE,
  WRONG_PASSWORD_MESSAGE,
} from "./account";

// Account self-service against a production build and a real SMTP server: the tests read the mail the
// app sends and follow its links. On PostgreSQL when TEST_DATABASE_URL is set (then the database is also
// inspected from outside), else on PGlite.

const CHROME_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36";
const FIREFOX_UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:131.0) Gecko/20100101 Firefox/131.0";

/** Flips one character of a link's token: what a tampered or mistyped link looks like. */
function tampered(token: string): string {
  const last = token.at(-1) === "a" ? "b" : "a";
  return `${token.slice(0, -1)}${last}`;
}

function tokenOf(link: URL): string {
  const token = link.searchParams.get("token");
  if (!token) throw new Error(`no token in ${link.pathname}`);
  return token;
}

describe("account self-service over HTTP, with mail", () => {
  let mail: TestMailServer;
  /** Passwords, link tokens, session and API tokens this suite used: none may reach the server log. */
  const secrets: string[] = [];

  beforeAll(async () => {
    mail = await startMailServer();
  });
  afterAll(() => mail?.close());
  // A limit high enough for the suite's sign-ups from one address, low enough to reach in one test.
  // TRUSTED_PROXIES: one test poses as a client of its own through X-Forwarded-For, as behind a proxy.
  const server = startTestServer({ env: () => ({ SMTP_URL: mail.url, AUTH_RATE_LIMIT_PER_MINUTE: "30", TRUSTED_PROXIES: "1" }) });

  async function signUp(overrides: Parameters<typeof signUpOverHttp>[1] = {}): Promise<SignedUpClient> {
    const person = await signUpOverHttp(server.url, overrides, mail);
    secrets.push(person.password, person.jar.sessionToken() ?? "");
    return person;
  }

  /** Signs the person in again from another "device" (or from the browser whose cookies `jar` holds): a second, independent session. */
  async function signInAgain(person: SignedUpClient, userAgent = FIREFOX_UA, jar = new CookieJar()) {
    const client = createHttpClient(server.url, jar);
    const cookie = jar.header();
    const response = await fetch(`${server.url}/api/trpc/auth.signIn`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: server.url, "user-agent": userAgent, ...(cookie ? { cookie } : {}) },
      body: JSON.stringify({ json: { email: person.email, password: person.password } }),
    });
    expect(response.status).toBe(200);
    jar.store(response);
    secrets.push(jar.sessionToken() ?? "");
    return { client, jar };
  }

  function mailsTo(address: string): ReceivedMail[] {
    return mail.messages().filter((message) => message.to.includes(address));
  }

  it("sign-up answers the same for a free and a taken address; the link confirms once and is the first sign-in (issue 19 item 2)", async () => {
    const email = `confirm-${Date.now()}@example.test`;
    const password = `pw-${crypto.randomUUID()}`;
    secrets.push(password);
    const jar = new CookieJar();
    const newcomer = createHttpClient(server.url, jar);
    const details = { email, password, firstname: "Conf", surname: "Irmed" };
    expect(await newcomer.auth.signUp.mutate(details)).toEqual({ checkEmail: true, email });
    expect(jar.sessionToken()).toBeUndefined();
    await expect(createHttpClient(server.url).auth.signIn.mutate({ email, password })).rejects.toThrow(AWAITING_CONFIRMATION_MESSAGE);

    const message = await mail.waitForMail(email);
    expect(message.subject).toBe("Confirm your email to finish creating your Carestral account");
    expect(message.html).toContain("Confirm my email");
    const link = linkIn(message, `${server.url}/verify-email?token=`);
    const token = tokenOf(link);
    secrets.push(token);
    const page = await fetch(link);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("Verify email");
    // Opening the page (a mail scanner prefetching it) confirms nothing by itself.
    await expect(createHttpClient(server.url).auth.signIn.mutate({ email, password })).rejects.toThrow(AWAITING_CONFIRMATION_MESSAGE);

    // Someone else signs up with the same address: the very same answer, no session, and the owner is told.
    const otherJar = new CookieJar();
    const squatter = createHttpClient(server.url, otherJar);
    expect(await squatter.auth.signUp.mutate({ ...details, email: email.toUpperCase(), password: "the squatter's password" })).toEqual({
      checkEmail: true,
      email,
    });
    expect(otherJar.sessionToken()).toBeUndefined();
    const notice = await mail.waitForMail(email, { since: 1 });
    expect(notice.subject).toBe("Someone tried to create a Carestral account with your address");
    expect(notice.text).toContain("If it was you, reset your password");
    expect(linkIn(notice, server.url).href).toBe(`${server.url}/forgot-password`);

    await expect(newcomer.account.verifyEmail.mutate({ token: tampered(token) })).rejects.toThrow(VERIFY_LINK_INVALID_MESSAGE);
    expect(await newcomer.account.verifyEmail.mutate({ token })).toEqual({ verified: true, signedIn: true });
    secrets.push(jar.sessionToken() ?? "");
    expect(await newcomer.auth.me.query()).toMatchObject({ email, firstname: "Conf" });
    expect(await newcomer.account.emailStatus.query()).toEqual({ verified: true, mailAvailable: true });
    await expect(newcomer.account.verifyEmail.mutate({ token })).rejects.toThrow(VERIFY_LINK_INVALID_MESSAGE);
    // The first password stands; the second sign-up changed nothing.
    await createHttpClient(server.url).auth.signIn.mutate({ email, password });
    await expect(createHttpClient(server.url).auth.signIn.mutate({ email, password: "the squatter's password" })).rejects.toThrow("Wrong email or password.");
  });

  it.runIf(testDatabaseUrl)("an account from before confirmation: Resend mails a new link, ends the previous one, and confirming does not sign in again", async () => {
    const person = await signUp();
    await withPostgres(server.databaseUrl, (sql) => sql`update users set email_verified_at = null where email = ${person.email}`);
    expect(await person.client.account.resendVerification.mutate()).toEqual({ sent: true, alreadyVerified: false });
    const first = tokenOf(linkIn(await mail.waitForMail(person.email, { since: 1 }), `${server.url}/verify-email`));
    expect(await person.client.account.resendVerification.mutate()).toEqual({ sent: true, alreadyVerified: false });
    const second = tokenOf(linkIn(await mail.waitForMail(person.email, { since: 2 }), `${server.url}/verify-email`));
    secrets.push(first, second);
    expect(second).not.toBe(first);
    await expect(person.client.account.verifyEmail.mutate({ token: first })).rejects.toThrow(VERIFY_LINK_INVALID_MESSAGE);
    const stranger = new CookieJar();
    expect(await createHttpClient(server.url, stranger).account.verifyEmail.mutate({ token: second })).toEqual({ verified: true, signedIn: false });
    expect(stranger.sessionToken()).toBeUndefined();
    expect(await person.client.account.resendVerification.mutate()).toEqual({ sent: false, alreadyVerified: true });
  });

  it("forgot password answers the same for any email, mails only real accounts, and the link resets once, signs out everywhere and revokes every token", async () => {
    const person = await signUp();
    await mail.waitForMail(person.email); // the confirmation mail
    const otherDevice = await signInAgain(person);
    const { token: apiToken } = await createToken(person, "Made before the reset", ["read:data"], null);
    secrets.push(apiToken);
    const unknown = `nobody-${Date.now()}@example.test`;

    const anonymous = createHttpClient(server.url);
    expect(await anonymous.account.requestPasswordReset.mutate({ email: unknown })).toEqual({ message: RESET_REQUESTED_MESSAGE });
    expect(await anonymous.account.requestPasswordReset.mutate({ email: person.email.toUpperCase() })).toEqual({ message: RESET_REQUESTED_MESSAGE });

    // A token was made and a second device signed in: security mail may come before the reset link.
    const message = await mail.waitForMail(person.email, { subject: "Reset your Carestral password" });
    expect(message.subject).toBe("Reset your Carestral password");
    expect(message.text).toContain("30 minutes");
    expect(mailsTo(unknown)).toEqual([]);
    const link = linkIn(message, `${server.url}/reset-password?token=`);
    const token = tokenOf(link);
    secrets.push(token);

    const page = await fetch(link);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("Set new password");
    expect(html).toContain('name="referrer" content="no-referrer"');
    const tamperedPage = await (await fetch(`${server.url}/reset-password?token=${tampered(token)}`)).text();
    expect(tamperedPage).toContain("This reset link is invalid");

    await expect(anonymous.account.resetPassword.mutate({ token: tampered(token), password: "a brand new password" })).rejects.toThrow(
      RESET_LINK_INVALID_MESSAGE,
    );
    // Password rules are the sign-up ones.
    await expect(anonymous.account.resetPassword.mutate({ token, password: "short" })).rejects.toThrow(/at least 10 characters/);

    const newPassword = `new-${crypto.randomUUID()}`;
    secrets.push(newPassword);
    expect(await anonymous.account.resetPassword.mutate({ token, password: newPassword })).toEqual({
      reset: true,
      revoked: { sessions: 2, tokens: 1, apps: 0 },
    });

    // Every session ended, and every token (issue 19 item 2: whoever claimed the address keeps nothing).
    expect((await postMcp(server.url, toolCall("whoami"), { token: apiToken })).status).toBe(401);
    expect(await person.client.auth.me.query()).toBeNull();
    expect(await otherDevice.client.auth.me.query()).toBeNull();
    // The link worked once.
    await expect(anonymous.account.resetPassword.mutate({ token, password: "yet another password" })).rejects.toThrow(RESET_LINK_INVALID_MESSAGE);
    expect(await (await fetch(link)).text()).toContain("This reset link is invalid");
    // The old password is gone, the new one works, and the mailbox counts as verified.
    await expect(anonymous.auth.signIn.mutate({ email: person.email, password: person.password })).rejects.toThrow("Wrong email or password.");
    const jar = new CookieJar();
    const signedIn = createHttpClient(server.url, jar);
    await signedIn.auth.signIn.mutate({ email: person.email, password: newPassword });
    secrets.push(jar.sessionToken() ?? "");
    expect((await signedIn.account.emailStatus.query()).verified).toBe(true);
  });

  it("keeps a validated next in the reset link, so signing in afterwards leads back to an app's consent page", async () => {
    const person = await signUp();
    await mail.waitForMail(person.email); // the confirmation mail
    const anonymous = createHttpClient(server.url);
    const consentPage = "/oauth/authorize?client_id=x&state=y";
    await anonymous.account.requestPasswordReset.mutate({ email: person.email, next: consentPage });
    const kept = linkIn(await mail.waitForMail(person.email, { since: 1 }), `${server.url}/reset-password?token=`);
    secrets.push(tokenOf(kept));
    expect(kept.searchParams.get("next")).toBe(consentPage);
    // An off-site next never reaches the mail.
    await anonymous.account.requestPasswordReset.mutate({ email: person.email, next: "//evil.example/x" });
    const dropped = linkIn(await mail.waitForMail(person.email, { since: 2 }), `${server.url}/reset-password?token=`);
    secrets.push(tokenOf(dropped));
    expect(dropped.searchParams.has("next")).toBe(false);
  });

  it.runIf(testDatabaseUrl)("refuses a reset link after its 30 minutes", async () => {
    const person = await signUp();
    await person.client.auth.signOut.mutate();
    await createHttpClient(server.url).account.requestPasswordReset.mutate({ email: person.email });
    const token = tokenOf(linkIn(await mail.waitForMail(person.email, { since: 1 }), `${server.url}/reset-password`));
    secrets.push(token);
    await withPostgres(server.databaseUrl, async (sql) => {
      const [user] = await sql<{ id: string }[]>`select id from users where email = ${person.email}`;
      const [link] = await sql<{ created_at: Date; expires_at: Date }[]>`
        select created_at, expires_at from email_links where user_id = ${user?.id ?? ""} and purpose = 'password_reset'`;
      expect((link?.expires_at.getTime() ?? 0) - (link?.created_at.getTime() ?? 0)).toBe(30 * 60_000);
      await sql`update email_links set expires_at = now() - interval '1 second' where user_id = ${user?.id ?? ""}`;
    });
    expect(await (await fetch(`${server.url}/reset-password?token=${token}`)).text()).toContain("This reset link is invalid");
    await expect(createHttpClient(server.url).account.resetPassword.mutate({ token, password: "too late password" })).rejects.toThrow(
      RESET_LINK_INVALID_MESSAGE,
    );
    await createHttpClient(server.url).auth.signIn.mutate({ email: person.email, password: person.password });
  });

  it("limits reset attempts like sign-in: 429 with Retry-After past the limit", async () => {
    const post = () =>
      fetch(`${server.url}/api/trpc/account.resetPassword`, {
        method: "POST",
        headers: { "content-type": "application/json", origin: server.url, "x-forwarded-for": "198.51.100.77" },
        body: JSON.stringify({ json: { token: "a".repeat(32), password: "a long enough password" } }),
      });
    for (let attempt = 1; attempt <= 30; attempt++) expect((await post()).status).toBe(400);
    const limited = await post();
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  it("changing the password needs the current one and signs out every other session", async () => {
    const person = await signUp();
    const otherDevice = await signInAgain(person);
    await expect(person.client.account.changePassword.mutate({ currentPassword: "not the password", newPassword: "whatever long enough" })).rejects.toThrow(
      WRONG_PASSWORD_MESSAGE,
    );
    expect(await otherDevice.client.auth.me.query()).not.toBeNull();

    const newPassword = `changed-${crypto.randomUUID()}`;
    secrets.push(newPassword);
    await person.client.account.changePassword.mutate({ currentPassword: person.password, newPassword });
    expect(await person.client.auth.me.query()).toMatchObject({ email: person.email });
    expect(await otherDevice.client.auth.me.query()).toBeNull();
    // The owner is told: when, from where, and the way back in if it was not them (issue 22).
    const notice = await mail.waitForMail(person.email, { subject: "Your Carestral password was changed" });
    expect(notice.text).toMatch(/When: .* \(UTC\)\./);
    expect(notice.text).toContain("From: Node.js, IP address 127.0.0.1.");
    expect(linkIn(notice, server.url).href).toBe(`${server.url}/forgot-password`);
    await createHttpClient(server.url).auth.signIn.mutate({ email: person.email, password: newPassword });
  });

  it("mails a sign-in from a browser the account has not used before, once per browser; never the sign-in that ends sign-up (issue 22)", async () => {
    const person = await signUp();
    const firefox = await signInAgain(person, FIREFOX_UA);
    const subject = "New sign-in to your Carestral account";
    const notice = await mail.waitForMail(person.email, { subject });
    expect(notice.text).toContain("From: Firefox on Windows, IP address 127.0.0.1.");
    expect(notice.text).toMatch(/When: .* \(UTC\)\./);
    expect(linkIn(notice, server.url).href).toBe(`${server.url}/settings`);
    // Known browsers (their device cookie), signed out and in again: no mail. Then one more new browser.
    await firefox.client.auth.signOut.mutate();
    await signInAgain(person, FIREFOX_UA, firefox.jar);
    await person.client.auth.signOut.mutate();
    await signInAgain(person, "node", person.jar);
    await signInAgain(person, CHROME_UA);
    await mail.waitForMail(person.email, { subject, since: 1 });
    const devices = mailsTo(person.email)
      .filter((message) => message.subject === subject)
      .map((message) => /From: ([^,]+),/.exec(message.text)?.[1]);
    expect(devices).toEqual(["Firefox on Windows", "Chrome on Linux"]);
  });

  it("lists sessions with their device and last use, marks this one, and signs them out one by one or all but this one", async () => {
    const person = await signUp();
    const firefox = await signInAgain(person, FIREFOX_UA);
    const chrome = await signInAgain(person, CHROME_UA);

    const sessions = await chrome.client.account.sessions.query();
    expect(sessions).toHaveLength(3);
    expect(sessions.filter((session) => session.current)).toEqual([expect.objectContaining({ device: "Chrome on Linux" })]);
    expect(sessions.map((session) => session.device)).toContain("Firefox on Windows");
    for (const session of sessions) expect(session.lastSeenAt.getTime()).toBeGreaterThan(Date.now() - 60_000);

    const firefoxSession = sessions.find((session) => session.device === "Firefox on Windows");
    await chrome.client.account.signOutSession.mutate({ id: firefoxSession?.id ?? "" });
    expect(await firefox.client.auth.me.query()).toBeNull();
    // Someone else's session is not found, and stays.
    const stranger = await signUp();
    const [strangerSession] = await stranger.client.account.sessions.query();
    await expect(chrome.client.account.signOutSession.mutate({ id: strangerSession?.id ?? "" })).rejects.toThrow("already ended");
    expect(await stranger.client.auth.me.query()).not.toBeNull();

    await chrome.client.account.signOutOtherSessions.mutate();
    expect(await person.client.auth.me.query()).toBeNull();
    expect(await chrome.client.account.sessions.query()).toEqual([expect.objectContaining({ current: true })]);
  });

  it("exports profile, tokens, bookings and sessions as a JSON download, with no secret in it", async () => {
    const person = await signUp({ firstname: "Exportia", surname: "Datason" });
    const { token } = await createToken(person, "Export check");
    secrets.push(token);
    const hospital = await findBookableHospital(server.url, token);
    const booked = await callTool(server.url, token, "bookings_create", { hospital_id: hospital.id, specialty: hospital.specialty, starts_at: futureSlot(9) });
    expect(booked.result?.isError).toBeFalsy();

    const signedOut = await fetch(`${server.url}/api/account/export`);
    expect(signedOut.status).toBe(401);

    const sessionToken = person.jar.sessionToken() ?? "";
    const response = await fetch(`${server.url}/api/account/export`, { headers: { cookie: `${SESSION_COOKIE_NAME}=${sessionToken}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-disposition")).toMatch(/^attachment; filename="carestral-export-\d{4}-\d{2}-\d{2}\.json"$/);
    const body = await response.text();
    const data = JSON.parse(body) as Record<string, unknown>;
    expect(Object.keys(data).sort()).toEqual(["activity", "bookings", "connectedApps", "exportedAt", "passkeys", "profile", "sessions", "tokens"]);
    expect(data.passkeys).toEqual([]);
    expect(data.profile).toMatchObject({ email: person.email, firstname: "Exportia", surname: "Datason", emailVerifiedAt: expect.any(String) });
    expect(data.tokens).toEqual([expect.objectContaining({ name: "Export check", prefix: token.slice(0, 12), status: "active" })]);
    expect(data.bookings).toEqual([expect.objectContaining({ specialty: hospital.specialty, status: "confirmed", tokenName: "Export check" })]);
    expect(data.sessions).toEqual([expect.objectContaining({ device: "Node.js" })]);

    const sessionId = createHash("sha256").update(sessionToken).digest("hex");
    const tokenHash = createHash("sha256").update(token).digest("hex");
    for (const secret of [token, token.slice(12), tokenHash, person.password, sessionToken, sessionId]) {
      expect(body).not.toContain(secret);
    }
    expect(body).not.toMatch(/hash|\$argon2/i);
  });

  it.runIf(testDatabaseUrl)("streams a long export, one per person at a time: a second gets 429 with Retry-After until the first ends or its client leaves", async () => {
    const person = await signUp({ firstname: "Streamia", surname: "Longtrail" });
    const { id: tokenId } = await createToken(person, "Busy assistant");
    // Enough of a trail (several MB of JSON) that the first download is still running while nobody reads it.
    const calls = 40_000;
    await withPostgres(server.databaseUrl, async (sql) => {
      await sql`
        insert into mcp_activity (at, user_id, token_id, tool, outcome, duration_ms)
        select date_trunc('milliseconds', now()) - make_interval(secs => ${calls} - g), u.id, ${tokenId}::uuid, 'whoami', 'ok', 1
        from users u, generate_series(1, ${calls}) g where u.email = ${person.email}`;
    });
    const cookie = `${SESSION_COOKIE_NAME}=${person.jar.sessionToken() ?? ""}`;
    const exportOnce = (signal?: AbortSignal) => fetch(`${server.url}/api/account/export`, { headers: { cookie }, signal });

    const first = new AbortController();
    const running = await exportOnce(first.signal);
    expect(running.status).toBe(200);
    expect(running.headers.get("transfer-encoding")).toBe("chunked");
    const reader = running.body?.getReader();
    expect((await reader?.read())?.value?.length).toBeGreaterThan(0);

    const refused = await exportOnce();
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("30");
    expect(await refused.json()).toEqual({ error: "An export of your data is already under way. Wait for it to finish, then try again." });
    // Another person's export is not held up.
    const other = await signUp();
    const othersExport = await fetch(`${server.url}/api/account/export`, { headers: { cookie: `${SESSION_COOKIE_NAME}=${other.jar.sessionToken() ?? ""}` } });
    expect(othersExport.status).toBe(200);
    await othersExport.body?.cancel();

    // The client hangs up: the server stops, and the slot is free again for a whole download, one JSON
    // document with every call.
    first.abort();
    let body = "";
    await expect
      .poll(
        async () => {
          const response = await exportOnce();
          if (response.status === 200) body = await response.text();
          else await response.body?.cancel();
          return response.status;
        },
        { timeout: 10_000 },
      )
      .toBe(200);
    expect((JSON.parse(body) as { activity: unknown[] }).activity).toHaveLength(calls);
  });

  it("deletes the account with the password: tokens fail at once, sign-in fails, and no row names the person", async () => {
    const person = await signUp({ firstname: "Deletia", surname: "Gonewright" });
    const otherDevice = await signInAgain(person);
    const { token } = await createToken(person, "Soon gone");
    secrets.push(token);
    const hospital = await findBookableHospital(server.url, token);
    await callTool(server.url, token, "bookings_create", { hospital_id: hospital.id, specialty: hospital.specialty, starts_at: futureSlot(11) });
    await person.client.account.requestPasswordReset.mutate({ email: person.email });
    await mail.waitForMail(person.email, { subject: "Reset your Carestral password" });

    await expect(person.client.account.deleteAccount.mutate({ password: "not my password" })).rejects.toThrow(WRONG_PASSWORD_MESSAGE);
    expect((await postMcp(server.url, toolCall("whoami"), { token })).status).toBe(200);

    expect(await person.client.account.deleteAccount.mutate({ password: person.password })).toEqual({ deleted: true });
    expect(person.jar.sessionToken()).toBeUndefined();

    const refused = await postMcp(server.url, toolCall("whoami"), { token });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("www-authenticate")).toContain('error="invalid_token"');
    expect(await otherDevice.client.auth.me.query()).toBeNull();

    if (testDatabaseUrl) {
      const dump = await dumpAllTables(server.databaseUrl);
      for (const identifying of [person.email, person.user.id, "Deletia", "Gonewright", "Soon gone"]) {
        expect(dump).not.toContain(identifying);
      }
    }
    // (Checked after the dump: a sign-in attempt counts against its email for a minute, whoever makes it.)
    await expect(createHttpClient(server.url).auth.signIn.mutate({ email: person.email, password: person.password })).rejects.toThrow(
      "Wrong email or password.",
    );
  });

  it("never writes a password, a link token, a session token or an API token to the server log", () => {
    const log = server.log();
    for (const secret of secrets.filter((value) => value.length >= 8)) expect(log).not.toContain(secret);
  });
});

describe("account mail in production without SMTP_URL", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("says password reset and verification are unavailable, and sign-up still works", async () => {
    const person = await signUpOverHttp(server.url);
    expect(await person.client.account.emailStatus.query()).toEqual({ verified: false, mailAvailable: false });
    await expect(person.client.account.resendVerification.mutate()).rejects.toThrow(MAIL_UNAVAILABLE_MESSAGE);
    await expect(createHttpClient(server.url).account.requestPasswordReset.mutate({ email: person.email })).rejects.toThrow(MAIL_UNAVAILABLE_MESSAGE);
    const page = await (await fetch(`${server.url}/forgot-password`)).text();
    expect(page).toContain("Password reset by email is unavailable");
    expect(server.log()).not.toContain("MAIL (development");
  });
});
