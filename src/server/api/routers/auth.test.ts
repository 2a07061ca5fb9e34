import { TRPCError } from "@trpc/server";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createCaller } from "~/server/api/root";
import { HASHING_CONCURRENCY, HASHING_QUEUE_MAX, withHashingSlot } from "~/server/auth/password";
import { createInnerTRPCContext } from "~/server/api/trpc";
import { SOCKET_ADDRESS_HEADER } from "~/server/auth/client-ip";
import { DEVICE_COOKIE_NAME, readSessionCookie, SESSION_COOKIE_NAME } from "~/server/auth/cookie";
import { SESSION_DURATION_MS, validateSessionToken, type SessionUser } from "~/server/auth/session";
import type { SignUpResult } from "./auth";
import { sessions, users } from "~/server/db/schema";
import { engines } from "~/test/db";
import { useTestDatabase } from "~/test/fixtures";
import { expectTRPCError } from "~/test/trpc-errors";

const DAY_MS = 24 * 60 * 60 * 1000;

/** These tests run without mail configured: sign-up signs the person in at once. */
function signedInUser(result: SignUpResult): SessionUser {
  if ("checkEmail" in result) throw new Error("sign-up asked to check the email: is SMTP_URL set?");
  return result;
}
let ipCounter = 0;

describe.each(engines)("auth router on %s", (engine) => {
  const testDb = useTestDatabase(engine);

  /** A caller as one browser: its own IP (so rate limits stay per test), and the cookie it holds. */
  function browser(options: { ip?: string } = {}) {
    const ip = options.ip ?? `10.0.0.${++ipCounter}`;
    let cookie: string | null = null;
    let device: string | null = null;
    async function call() {
      const headers = new Headers({ [SOCKET_ADDRESS_HEADER]: ip });
      const cookies = [cookie && `${SESSION_COOKIE_NAME}=${cookie}`, device && `${DEVICE_COOKIE_NAME}=${device}`].filter(Boolean);
      if (cookies.length > 0) headers.set("cookie", cookies.join("; "));
      const read = readSessionCookie(headers.get("cookie"));
      const token = read.kind === "one" ? read.token : null;
      const { session, user } = token ? await validateSessionToken(testDb.db, token) : { session: null, user: null };
      const resHeaders = new Headers();
      const caller = createCaller(createInnerTRPCContext({ db: testDb.db, session, user, headers, resHeaders }));
      return { caller, resHeaders };
    }
    async function run<T>(action: (caller: ReturnType<typeof createCaller>) => Promise<T>) {
      const { caller, resHeaders } = await call();
      try {
        return await action(caller);
      } finally {
        for (const setCookie of resHeaders.getSetCookie()) {
          const [name, value = ""] = setCookie.split(";")[0]?.split("=") ?? [];
          if (name === SESSION_COOKIE_NAME) cookie = value === "" ? null : value;
          if (name === DEVICE_COOKIE_NAME) device = value;
        }
        lastResHeaders = resHeaders;
      }
    }
    let lastResHeaders = new Headers();
    return {
      run,
      get token() {
        return cookie;
      },
      get lastResHeaders() {
        return lastResHeaders;
      },
    };
  }

  function uniqueEmail(): string {
    return `person-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.test`;
  }

  const password = "correct horse battery";

  it("answers 503 with Retry-After, never a 500, once the password-hashing queue is full", async () => {
    // Hold every hashing slot and fill the queue first, so the sign-ins below find it full however fast this
    // machine hashes: racing real sign-ins against argon2 left the queue empty on a slow runner.
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const holders = Array.from({ length: HASHING_CONCURRENCY + HASHING_QUEUE_MAX }, (_, index) =>
      withHashingSlot(`holder-${index}`, () => held),
    );
    try {
      // Each from its own client and for its own email, so no rate limit answers first.
      const attempts = Array.from({ length: 8 }, () => {
        const client = browser();
        return client.run((caller) => caller.auth.signIn({ email: uniqueEmail(), password })).then(
          () => ({ code: "OK", retryAfter: null }),
          (error: unknown) => ({ code: error instanceof TRPCError ? error.code : "THROWN", retryAfter: client.lastResHeaders.get("retry-after") }),
        );
      });
      const results = await Promise.all(attempts);
      expect(results.map((result) => result.code)).toEqual(Array(8).fill("SERVICE_UNAVAILABLE"));
      expect(results.every((result) => Number(result.retryAfter) >= 1)).toBe(true);
    } finally {
      release();
      await Promise.all(holders);
    }
    // Once the queue drains, the same kind of sign-in is answered on its merits.
    await expectTRPCError(browser().run((caller) => caller.auth.signIn({ email: uniqueEmail(), password })), "UNAUTHORIZED");
  });
  it("signs up, stores a trimmed lower-case email and an argon2id hash, and starts a session", async () => {
    const me = browser();
    const email = uniqueEmail();
    const user = signedInUser(
      await me.run((api) => api.auth.signUp({ email: `  ${email.toUpperCase()} `, firstname: " Ada ", surname: "Lovelace", password })),
    );
    expect(user).toEqual({ id: expect.any(String), email, firstname: "Ada", surname: "Lovelace" });

    const setCookie = me.lastResHeaders.getSetCookie();
    expect(setCookie).toHaveLength(2);
    expect(setCookie[0]).toMatch(new RegExp(`^${SESSION_COOKIE_NAME}=[a-z2-7]{32}; HttpOnly; SameSite=Lax; Path=/; Max-Age=(2591999|2592000)$`));
    // The browser is remembered for the account, so a sign-in from any other is mailed (issue 22).
    expect(setCookie[1]).toMatch(new RegExp(`^${DEVICE_COOKIE_NAME}=[a-z2-7]{32}; HttpOnly; SameSite=Lax; Path=/; Max-Age=34560000$`));

    const [row] = await testDb.db.select({ passwordHash: users.passwordHash }).from(users).where(eq(users.id, user.id));
    expect(row?.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(row?.passwordHash).not.toContain(password);

    expect(await me.run((api) => api.auth.me())).toEqual({ ...user, timeZone: null });
  });

  it("signs in with the right password, case-insensitively on the email", async () => {
    const email = uniqueEmail();
    const created = signedInUser(await browser().run((api) => api.auth.signUp({ email, firstname: "Grace", surname: "Hopper", password })));
    const other = browser();
    expect(await other.run((api) => api.auth.me())).toBeNull();
    const user = await other.run((api) => api.auth.signIn({ email: email.toUpperCase(), password }));
    expect(user).toEqual(created);
    expect(other.token).toMatch(/^[a-z2-7]{32}$/);
    expect(await other.run((api) => api.auth.me())).toEqual({ ...created, timeZone: null });
  });

  it("refuses a wrong password and an unknown email with the same message, and sets no cookie", async () => {
    const email = uniqueEmail();
    await browser().run((api) => api.auth.signUp({ email, firstname: "Alan", surname: "Turing", password }));
    const me = browser();
    const wrongPassword = await expectTRPCError(me.run((api) => api.auth.signIn({ email, password: "not the password" })), "UNAUTHORIZED");
    const unknownEmail = await expectTRPCError(me.run((api) => api.auth.signIn({ email: uniqueEmail(), password })), "UNAUTHORIZED");
    expect(wrongPassword.message).toBe("Wrong email or password.");
    expect(unknownEmail.message).toBe(wrongPassword.message);
    expect(me.lastResHeaders.getSetCookie()).toEqual([]);
    expect(me.token).toBeNull();
  });

  it("says an email is already used, whatever its case", async () => {
    const email = uniqueEmail();
    await browser().run((api) => api.auth.signUp({ email, firstname: "Ada", surname: "Lovelace", password }));
    await expectTRPCError(
      browser().run((api) => api.auth.signUp({ email: email.toUpperCase(), firstname: "Eve", surname: "Copy", password })),
      "CONFLICT",
      /already exists/,
    );
    const rows = await testDb.db.select({ id: users.id }).from(users).where(eq(users.email, email));
    expect(rows).toHaveLength(1);
  });

  it("lets exactly one of two concurrent sign-ups with one email succeed; the other gets the clear error", async () => {
    const email = uniqueEmail();
    const attempts = await Promise.allSettled(
      ["First", "Second", "Third"].map((firstname) =>
        browser().run((api) => api.auth.signUp({ email, firstname, surname: "Racer", password })),
      ),
    );
    expect(attempts.filter((attempt) => attempt.status === "fulfilled")).toHaveLength(1);
    for (const attempt of attempts) {
      if (attempt.status === "rejected") {
        expect(attempt.reason).toBeInstanceOf(TRPCError);
        expect((attempt.reason as TRPCError).code).toBe("CONFLICT");
      }
    }
  });

  it("rejects a short password, a bad email and empty names with field errors", async () => {
    const error = await expectTRPCError(
      browser().run((api) => api.auth.signUp({ email: "not-an-email", firstname: "  ", surname: "", password: "short" })),
      "BAD_REQUEST",
    );
    const issues = (error.cause as { issues?: { path: unknown[]; message: string }[] }).issues ?? [];
    const byField = Object.fromEntries(issues.map((issue) => [String(issue.path[0]), issue.message]));
    expect(byField).toEqual({
      email: expect.stringMatching(/valid email/),
      firstname: "Enter your first name.",
      surname: "Enter your surname.",
      password: "Use at least 10 characters.",
    });
  });

  it("signs out: deletes the session row, expires the cookie, and the old token no longer works", async () => {
    const me = browser();
    const user = signedInUser(await me.run((api) => api.auth.signUp({ email: uniqueEmail(), firstname: "Ada", surname: "L", password })));
    const token = me.token;
    if (!token) throw new Error("no session cookie");
    expect(await testDb.db.select().from(sessions).where(eq(sessions.userId, user.id))).toHaveLength(1);

    await me.run((api) => api.auth.signOut());
    expect(me.lastResHeaders.getSetCookie()).toEqual([`${SESSION_COOKIE_NAME}=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0`]);
    expect(await testDb.db.select().from(sessions).where(eq(sessions.userId, user.id))).toHaveLength(0);
    expect(await validateSessionToken(testDb.db, token)).toEqual({ session: null, user: null });
  });

  it("ends the previous session when signing in again from the same browser", async () => {
    const me = browser();
    const email = uniqueEmail();
    await me.run((api) => api.auth.signUp({ email, firstname: "Ada", surname: "L", password }));
    const first = me.token;
    await me.run((api) => api.auth.signIn({ email, password }));
    expect(me.token).not.toBe(first);
    if (!first) throw new Error("no session cookie");
    expect((await validateSessionToken(testDb.db, first)).session).toBeNull();
  });

  it("expires a session past its date and deletes the row", async () => {
    const me = browser();
    const user = signedInUser(await me.run((api) => api.auth.signUp({ email: uniqueEmail(), firstname: "Ada", surname: "L", password })));
    await testDb.db.update(sessions).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(sessions.userId, user.id));
    expect(await me.run((api) => api.auth.me())).toBeNull();
    expect(await testDb.db.select().from(sessions).where(eq(sessions.userId, user.id))).toHaveLength(0);
  });

  it("slides a session that has fewer than 15 days left back to 30, and leaves a fresher one alone", async () => {
    const me = browser();
    const user = signedInUser(await me.run((api) => api.auth.signUp({ email: uniqueEmail(), firstname: "Ada", surname: "L", password })));
    const token = me.token;
    if (!token) throw new Error("no session cookie");
    const byUser = eq(sessions.userId, user.id);

    const twentyDays = new Date(Date.now() + 20 * DAY_MS);
    await testDb.db.update(sessions).set({ expiresAt: twentyDays }).where(byUser);
    await validateSessionToken(testDb.db, token);
    const [unchanged] = await testDb.db.select({ expiresAt: sessions.expiresAt }).from(sessions).where(byUser);
    expect(unchanged?.expiresAt.getTime()).toBe(twentyDays.getTime());

    await testDb.db.update(sessions).set({ expiresAt: new Date(Date.now() + 10 * DAY_MS) }).where(byUser);
    expect(await me.run((api) => api.auth.me())).toEqual({ ...user, timeZone: null });
    const [slid] = await testDb.db.select({ expiresAt: sessions.expiresAt }).from(sessions).where(byUser);
    expect(slid?.expiresAt.getTime()).toBeGreaterThan(Date.now() + SESSION_DURATION_MS - 60_000);
  });

  it("allows 10 sign-in attempts a minute per IP, then answers 429 with how long to wait", async () => {
    const email = uniqueEmail();
    await browser().run((api) => api.auth.signUp({ email, firstname: "Ada", surname: "L", password }));
    const attacker = browser();
    for (let attempt = 1; attempt <= 10; attempt++) {
      await expectTRPCError(attacker.run((api) => api.auth.signIn({ email: uniqueEmail(), password: "guess-guess" })), "UNAUTHORIZED");
    }
    const limited = await expectTRPCError(
      attacker.run((api) => api.auth.signIn({ email, password })),
      "TOO_MANY_REQUESTS",
      /^Too many attempts\. Try again in \d+ seconds?\.$/,
    );
    const retryAfter = Number(attacker.lastResHeaders.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited.message).toContain(`${retryAfter} second`);
    expect(attacker.token).toBeNull();

    // Another IP is not affected.
    expect(await browser().run((api) => api.auth.signIn({ email, password }))).toMatchObject({ email });
  });

  it("limits guesses at one email from one client without locking the owner out elsewhere", async () => {
    const email = uniqueEmail();
    await browser().run((api) => api.auth.signUp({ email, firstname: "Ada", surname: "L", password }));
    const guesser = browser();
    for (let attempt = 1; attempt <= 10; attempt++) {
      await expectTRPCError(guesser.run((api) => api.auth.signIn({ email, password: "guess-guess" })), "UNAUTHORIZED");
    }
    await expectTRPCError(guesser.run((api) => api.auth.signIn({ email, password })), "TOO_MANY_REQUESTS");
    // The per-email ceiling (rate-limit.test.ts) is ten times higher: the owner, elsewhere, still gets in.
    await expect(browser().run((api) => api.auth.signIn({ email, password }))).resolves.toMatchObject({ email });
  });

  it("limits sign-up attempts per IP", async () => {
    const spammer = browser();
    for (let attempt = 1; attempt <= 10; attempt++) {
      await spammer.run((api) => api.auth.signUp({ email: uniqueEmail(), firstname: "Bot", surname: "Bot", password }));
    }
    await expectTRPCError(
      spammer.run((api) => api.auth.signUp({ email: uniqueEmail(), firstname: "Bot", surname: "Bot", password })),
      "TOO_MANY_REQUESTS",
    );
  });
});
