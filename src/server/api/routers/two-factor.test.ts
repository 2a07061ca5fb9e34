import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import { eq } from "drizzle-orm";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCaller } from "~/server/api/root";
import { createInnerTRPCContext } from "~/server/api/trpc";
import { SOCKET_ADDRESS_HEADER } from "~/server/auth/client-ip";
import { PENDING_SIGN_IN_COOKIE_NAME, sessionTokenFromCookieHeader, SESSION_COOKIE_NAME } from "~/server/auth/cookie";
import { sessionIdFromToken, validateSessionToken } from "~/server/auth/session";
import { sessions } from "~/server/db/schema";
import { totpCodeAt, totpStep } from "~/server/auth/totp";
import { createTestDatabase, engines, type TestDatabase } from "~/test/db";
import { CookieJar } from "~/test/trpc-http";

let ipCounter = 0;

describe.each(engines)("two-factor sign-in on %s", (engine) => {
  let testDb: TestDatabase;

  beforeAll(async () => {
    testDb = await createTestDatabase(engine);
  });
  afterAll(async () => {
    await testDb.close();
  });

  /** One browser: its own address and cookie jar, each call through the tRPC router as a request would. */
  function browser() {
    const jar = new CookieJar();
    const ip = `10.22.0.${++ipCounter}`;
    let lastResHeaders = new Headers();
    async function run<T>(action: (api: ReturnType<typeof createCaller>) => Promise<T>): Promise<T> {
      const headers = new Headers({ [SOCKET_ADDRESS_HEADER]: ip, "user-agent": "vitest" });
      const cookie = jar.header();
      if (cookie) headers.set("cookie", cookie);
      const token = sessionTokenFromCookieHeader(cookie);
      const { session, user } = token ? await validateSessionToken(testDb.db, token) : { session: null, user: null };
      const resHeaders = new Headers();
      try {
        return await action(createCaller(createInnerTRPCContext({ db: testDb.db, session, user, headers, resHeaders })));
      } finally {
        jar.store(new Response(null, { headers: resHeaders }));
        lastResHeaders = resHeaders;
      }
    }
    return {
      run,
      jar,
      get lastResHeaders() {
        return lastResHeaders;
      },
    };
  }

  async function expectTRPCError(promise: Promise<unknown>, code: TRPCError["code"], message?: RegExp): Promise<TRPCError> {
    const error = await promise.then(
      () => null,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(TRPCError);
    const trpcError = error as TRPCError;
    expect(trpcError.code).toBe(code);
    if (message) expect(trpcError.message).toMatch(message);
    return trpcError;
  }

  const password = "correct horse battery";

  /** Signs a new person up (no mail configured here: signed in at once), turns the app on; returns the key and codes. */
  async function personWithTotp() {
    const email = `two-factor-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.test`;
    const me = browser();
    await me.run((api) => api.auth.signUp({ email, firstname: "Ada", surname: "Lovelace", password }));
    const { setupKey, keyUri } = await me.run((api) => api.twoFactor.beginTotpSetup());
    expect(keyUri).toMatch(/^otpauth:\/\/totp\/Carestral:/);
    const key = decodeBase32IgnorePadding(setupKey.replaceAll(" ", ""));
    const earlier = new Date(Date.now() - 30_000);
    await expectTRPCError(me.run((api) => api.twoFactor.enableTotp({ code: "123" })), "BAD_REQUEST", /not right/);
    const { recoveryCodes } = await me.run((api) => api.twoFactor.enableTotp({ code: totpCodeAt(key, totpStep(earlier)) }));
    expect(await me.run((api) => api.twoFactor.status())).toMatchObject({ available: true, totpEnabledAt: expect.any(Date), recoveryCodesLeft: 10 });
    return { email, key, recoveryCodes, me };
  }

  it("a right password alone starts no session: it opens the step, which a right code completes, back to next", async () => {
    const { email, key } = await personWithTotp();
    const laptop = browser();
    const next = "/oauth/authorize?client_id=https%3A%2F%2Fapp.example%2Fclient.json&state=x";
    expect(await laptop.run((api) => api.auth.signIn({ email, password, next }))).toEqual({ secondFactorRequired: true });
    expect(laptop.jar.get(SESSION_COOKIE_NAME)).toBeUndefined();
    expect(laptop.lastResHeaders.getSetCookie()).toEqual([expect.stringMatching(new RegExp(`^${PENDING_SIGN_IN_COOKIE_NAME}=[a-z2-7]{32}; HttpOnly; SameSite=Lax; Path=/; Max-Age=600$`))]);
    expect(await laptop.run((api) => api.auth.me())).toBeNull();
    await expectTRPCError(laptop.run((api) => api.tokens.list()), "UNAUTHORIZED");

    await expectTRPCError(laptop.run((api) => api.twoFactor.verifySignIn({ code: "000000" })), "BAD_REQUEST", /not right/);
    expect(await laptop.run((api) => api.twoFactor.verifySignIn({ code: totpCodeAt(key, totpStep(new Date())) }))).toEqual({ next });
    expect(laptop.jar.get(PENDING_SIGN_IN_COOKIE_NAME)).toBeUndefined();
    expect(await laptop.run((api) => api.auth.me())).toMatchObject({ email });
    const sessions = await laptop.run((api) => api.account.sessions());
    expect(sessions.find((session) => session.current)?.signInMethod).toBe("password + authenticator app");
    expect(sessions.find((session) => !session.current)?.signInMethod).toBe("password");
  });

  it("refuses the step without a pending sign-in, or once it was completed", async () => {
    const { email, key } = await personWithTotp();
    const stranger = browser();
    await expectTRPCError(stranger.run((api) => api.twoFactor.verifySignIn({ code: "123456" })), "UNAUTHORIZED", /Sign in again/);
    const laptop = browser();
    await laptop.run((api) => api.auth.signIn({ email, password }));
    const pending = laptop.jar.get(PENDING_SIGN_IN_COOKIE_NAME) ?? "";
    await laptop.run((api) => api.twoFactor.verifySignIn({ code: totpCodeAt(key, totpStep(new Date())) }));
    // The same pending sign-in replayed from another browser, with the next code: gone.
    stranger.jar.set(PENDING_SIGN_IN_COOKIE_NAME, pending);
    await expectTRPCError(
      stranger.run((api) => api.twoFactor.verifySignIn({ code: totpCodeAt(key, totpStep(new Date()) + 1) })),
      "UNAUTHORIZED",
      /Sign in again/,
    );
    expect(await stranger.run((api) => api.auth.me())).toBeNull();
  });

  it("signs in with a recovery code once, saying how many are left; the same code twice is refused", async () => {
    const { email, recoveryCodes } = await personWithTotp();
    const [code = ""] = recoveryCodes;
    const phone = browser();
    await phone.run((api) => api.auth.signIn({ email, password }));
    expect(await phone.run((api) => api.twoFactor.verifySignInWithRecoveryCode({ code: code.toUpperCase() }))).toEqual({
      next: "/dashboard/tokens",
      recoveryCodesLeft: 9,
    });
    const sessions = await phone.run((api) => api.account.sessions());
    expect(sessions.find((session) => session.current)?.signInMethod).toBe("password + recovery code");
    const again = browser();
    await again.run((api) => api.auth.signIn({ email, password }));
    await expectTRPCError(again.run((api) => api.twoFactor.verifySignInWithRecoveryCode({ code })), "BAD_REQUEST", /already used/);
    expect(await again.run((api) => api.auth.me())).toBeNull();
  });

  it("answers 429 with Retry-After after five wrong codes for the account, from any browser", async () => {
    const { email, key } = await personWithTotp();
    for (let attempt = 0; attempt < 5; attempt++) {
      const guesser = browser();
      await guesser.run((api) => api.auth.signIn({ email, password }));
      await expectTRPCError(guesser.run((api) => api.twoFactor.verifySignIn({ code: "000000" })), "BAD_REQUEST");
    }
    const owner = browser();
    await owner.run((api) => api.auth.signIn({ email, password }));
    await expectTRPCError(owner.run((api) => api.twoFactor.verifySignIn({ code: totpCodeAt(key, totpStep(new Date())) })), "TOO_MANY_REQUESTS", /15 minutes/);
    expect(Number(owner.lastResHeaders.get("retry-after"))).toBeGreaterThan(800);
    expect(await owner.run((api) => api.auth.me())).toBeNull();
  });

  it("turning the app off lets the password alone sign in again; regenerating needs a factor on", async () => {
    const { email, me } = await personWithTotp();
    const { recoveryCodes } = await me.run((api) => api.twoFactor.regenerateRecoveryCodes());
    expect(recoveryCodes).toHaveLength(10);
    expect(await me.run((api) => api.twoFactor.disableTotp())).toEqual({ disabled: true });
    expect(await me.run((api) => api.twoFactor.status())).toMatchObject({ totpEnabledAt: null, recoveryCodesLeft: 0 });
    await expectTRPCError(me.run((api) => api.twoFactor.regenerateRecoveryCodes()), "CONFLICT");
    expect(await browser().run((api) => api.auth.signIn({ email, password }))).toMatchObject({ email });
  });

  it("turning the app off and regenerating codes need sudo mode: a session not checked in the last 10 minutes is refused", async () => {
    const { me } = await personWithTotp();
    const token = me.jar.get(SESSION_COOKIE_NAME) ?? "";
    await testDb.db.update(sessions).set({ lastVerifiedAt: new Date(Date.now() - 11 * 60_000) }).where(eq(sessions.id, sessionIdFromToken(token)));
    await expectTRPCError(me.run((api) => api.twoFactor.disableTotp()), "FORBIDDEN", /Confirm access/);
    await expectTRPCError(me.run((api) => api.twoFactor.regenerateRecoveryCodes()), "FORBIDDEN", /Confirm access/);
    expect(await me.run((api) => api.twoFactor.status())).toMatchObject({ totpEnabledAt: expect.any(Date), recoveryCodesLeft: 10 });
    await me.run((api) => api.auth.confirmAccess({ password }));
    expect(await me.run((api) => api.twoFactor.disableTotp())).toEqual({ disabled: true });
  });

  it("keeps setup and settings behind a session", async () => {
    const anonymous = browser();
    await expectTRPCError(anonymous.run((api) => api.twoFactor.beginTotpSetup()), "UNAUTHORIZED");
    await expectTRPCError(anonymous.run((api) => api.twoFactor.disableTotp()), "UNAUTHORIZED");
    await expectTRPCError(anonymous.run((api) => api.twoFactor.status()), "UNAUTHORIZED");
  });
});
