import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SESSION_COOKIE_NAME } from "~/server/auth/cookie";
import { TOKEN_DISPLAY_LENGTH, TOKEN_PREFIX } from "~/server/tokens/token";
import { testDatabaseUrl } from "~/test/env";
import { startTestServer } from "~/test/fixtures";
import { startMailServer, type TestMailServer } from "~/test/mail-server";
import { createHttpClient, CookieJar, signUpOverHttp } from "~/test/trpc-http";
import { callTool, createToken, dumpAllTables, findBookableHospital, futureSlot, postMcp, SERVER_ENV, toolCall, toolResult } from "./fixtures";

// Issue 6, secrets at rest and in logs: after a whole journey, neither a dump of every table nor the
// server's own output holds a token, a password, a session token or a mailed link's token, nor a telling
// piece of one (issue 24: the JSON log at its most talkative level, every request's line included).

/** Long enough that a match is a leak, not a coincidence; short enough to catch a truncated copy. */
const WINDOW = 16;

interface Secret {
  label: string;
  value: string;
  /** Where copying is allowed to start: a token's display prefix (mcp_ + 8 characters) is stored on purpose. */
  publicPrefixLength?: number;
}

/** The secret itself and every WINDOW-long piece of it that reaches past its public prefix. */
function tellingPieces({ value, publicPrefixLength = 0 }: Secret): string[] {
  const pieces = new Set([value]);
  for (let start = Math.max(0, publicPrefixLength - WINDOW + 1); start + WINDOW <= value.length; start++) {
    pieces.add(value.slice(start, start + WINDOW));
  }
  return [...pieces];
}

function findLeaks(haystack: string, secrets: Secret[]): string[] {
  const leaks: string[] = [];
  for (const secret of secrets) {
    const piece = tellingPieces(secret).find((candidate) => haystack.includes(candidate));
    if (piece) leaks.push(`${secret.label} (found "${piece.slice(0, 6)}…", ${piece.length} characters)`);
  }
  return leaks;
}

describe.runIf(testDatabaseUrl)("secrets at rest and in logs", () => {
  let mail: TestMailServer;
  const secrets: Secret[] = [];

  const tokenSecret = (label: string, value: string): Secret => ({ label, value, publicPrefixLength: TOKEN_PREFIX.length + TOKEN_DISPLAY_LENGTH });
  /** The first link starting with `${server.url}${start}` in a mail to `to`, waiting for it to arrive. */
  const mailedLink = async (to: string, start: string): Promise<string> => {
    const prefix = `${server.url}${start}`;
    for (let attempt = 0; attempt < 100; attempt++) {
      for (const message of mail.messages()) {
        const link = message.to.includes(to.toLowerCase()) ? message.text.split(/\s+/).find((word) => word.startsWith(prefix)) : undefined;
        if (link) return link;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`no mail to ${to} with a link to ${start}`);
  };
  const rememberSession = (label: string, jar: CookieJar) => {
    const session = jar.sessionToken();
    if (session) secrets.push({ label, value: session });
  };

  beforeAll(async () => {
    mail = await startMailServer();
  });
  const server = startTestServer({ env: () => ({ ...SERVER_ENV, SMTP_URL: mail.url, LOG_LEVEL: "trace" }) });
  beforeAll(async () => {
    // Sign up, out and in again; a failed sign-in with a near-miss password.
    const password = `Sesame-${crypto.randomUUID()}`;
    // With SMTP_URL set, sign-up confirms the address through the mailed link, which is the first sign-in.
    const person = await signUpOverHttp(server.url, { password }, mail);
    secrets.push({ label: "password", value: password });
    rememberSession("sign-up session token", person.jar);
    const verifyToken = new URL(await mailedLink(person.email, "/verify-email?token=")).searchParams.get("token") ?? "";
    secrets.push({ label: "verification link token", value: verifyToken });
    await person.client.auth.signOut.mutate();

    const wrongPassword = `${password}-typo`;
    secrets.push({ label: "mistyped password", value: wrongPassword });
    const jar = new CookieJar();
    const client = createHttpClient(server.url, jar);
    await expect(client.auth.signIn.mutate({ email: person.email, password: wrongPassword })).rejects.toThrow();
    await client.auth.signIn.mutate({ email: person.email, password });
    rememberSession("sign-in session token", jar);

    // Tokens: one used for everything, one revoked and then tried.
    const signedIn = { ...person, client, jar };
    const main = await createToken(signedIn, "journey");
    secrets.push(tokenSecret("token", main.token));
    const doomed = await createToken(signedIn, "doomed", ["read:data"], null);
    secrets.push(tokenSecret("revoked token", doomed.token));

    await toolResult(server.url, main.token, "whoami");
    const hospital = await findBookableHospital(server.url, main.token);
    const { booking } = await toolResult<{ booking: { id: string } }>(server.url, main.token, "bookings_create", {
      hospital_id: hospital.id,
      specialty: hospital.specialty,
      starts_at: futureSlot(3),
      note: "Ground floor please",
    });
    await toolResult(server.url, main.token, "bookings_list");
    await toolResult(server.url, main.token, "bookings_cancel", { booking_id: booking.id });
    // A tool refusal and an unexpected-looking argument: paths that log are the ones that leak.
    await callTool(server.url, main.token, "hospitals_get", { hospital_id: "nowhere" });
    await callTool(server.url, main.token, "hospitals_search", { cursor: "garbage" });

    await client.tokens.revoke.mutate({ id: doomed.id });
    expect((await postMcp(server.url, toolCall("whoami"), { token: doomed.token })).status).toBe(401);

    // Refused credentials are secrets too: someone's mistyped real token must not end up in a log.
    const garbage = `mcp_${"G".repeat(43)}abcdef`;
    secrets.push(tokenSecret("garbage token", garbage));
    expect((await postMcp(server.url, toolCall("whoami"), { token: garbage })).status).toBe(401);
    const mistyped = `${main.token.slice(0, 20)}${main.token.charAt(20) === "a" ? "b" : "a"}${main.token.slice(21)}`;
    secrets.push(tokenSecret("mistyped token", mistyped));
    expect((await postMcp(server.url, toolCall("whoami"), { token: mistyped })).status).toBe(401);

    // A sign-up the database rejects (a NUL byte in a name): the error path must not print the password either.
    const rejectedPassword = `Rejected-${crypto.randomUUID()}`;
    secrets.push({ label: "password of a failed sign-up", value: rejectedPassword });
    const failedSignUp = await fetch(`${server.url}/api/trpc/auth.signUp`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: server.url },
      body: JSON.stringify({ json: { email: `nul-${Date.now()}@example.test`, firstname: "Nul\u0000", surname: "Byte", password: rejectedPassword } }),
    });
    expect(await failedSignUp.text()).not.toContain(rejectedPassword);

    // A password reset: the mailed link is opened (its token in the query string), then used with a new password.
    await client.account.requestPasswordReset.mutate({ email: person.email });
    const resetLink = await mailedLink(person.email, "/reset-password?token=");
    const resetToken = new URL(resetLink).searchParams.get("token") ?? "";
    secrets.push({ label: "reset link token", value: resetToken });
    expect((await fetch(resetLink)).status).toBe(200);
    const newPassword = `Renewed-${crypto.randomUUID()}`;
    secrets.push({ label: "password set through the reset link", value: newPassword });
    await createHttpClient(server.url, new CookieJar()).account.resetPassword.mutate({ token: resetToken, password: newPassword });
    const renewedJar = new CookieJar();
    const renewed = createHttpClient(server.url, renewedJar);
    await renewed.auth.signIn.mutate({ email: person.email, password: newPassword });
    rememberSession("session after the reset", renewedJar);
    await renewed.tokens.list.query();
    const staleJar = new CookieJar();
    staleJar.set(SESSION_COOKIE_NAME, renewedJar.sessionToken() ?? "");
    await renewed.auth.signOut.mutate();
    // The session cookie sent again after sign-out: refused, and not logged either.
    expect(await createHttpClient(server.url, staleJar).auth.me.query()).toBeNull();
  });

  afterAll(async () => {
    await mail?.close();
  });

  it("collected every secret of the journey", () => {
    expect(secrets.map((secret) => secret.label).sort()).toEqual(
      [
        "garbage token",
        "mistyped password",
        "mistyped token",
        "password",
        "password of a failed sign-up",
        "password set through the reset link",
        "reset link token",
        "revoked token",
        "session after the reset",
        "sign-in session token",
        "sign-up session token",
        "token",
        "verification link token",
      ].sort(),
    );
  });

  it("stores no secret in any table", async () => {
    const dump = await dumpAllTables(server.databaseUrl);
    // The dump really covers the journey: the data is there, only the secrets are not.
    expect(dump).toContain("Ground floor please");
    expect(dump).toMatch(/# public\.api_tokens \(2 rows\)/);
    expect(findLeaks(dump, secrets)).toEqual([]);
  });

  it("prints no secret in the server log", () => {
    const log = server.log();
    // The log covers the journey: a line for each request, the reset link's page among them.
    expect(log).toContain('"route":"/reset-password"');
    expect(log).toContain('"route":"/api/mcp"');
    expect(findLeaks(log, secrets)).toEqual([]);
  });
});
