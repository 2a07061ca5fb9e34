import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCaller } from "~/server/api/root";
import { createInnerTRPCContext } from "~/server/api/trpc";
import { SOCKET_ADDRESS_HEADER } from "~/server/auth/client-ip";
import { appRelyingParty } from "~/server/auth/passkeys";
import { PENDING_SIGN_IN_COOKIE_NAME, readSessionCookie, SESSION_COOKIE_NAME } from "~/server/auth/cookie";
import { sessionIdFromToken, validateSessionToken } from "~/server/auth/session";
import { sessions } from "~/server/db/schema";
import { totpCodeAt, totpStep } from "~/server/auth/totp";
import { createTestDatabase, engines, type TestDatabase } from "~/test/db";
import { CookieJar } from "~/test/trpc-http";
import { SoftwareAuthenticator } from "~/test/software-authenticator";
import { expectTRPCError } from "~/test/trpc-errors";

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
      const sessionCookie = readSessionCookie(cookie);
      const { session, user } = sessionCookie.kind === "one" ? await validateSessionToken(testDb.db, sessionCookie.token) : { session: null, user: null };
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
    if (!recoveryCodes) throw new Error("the first factor brought no recovery codes");
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
    expect(await me.run((api) => api.twoFactor.disableTotp())).toEqual({ disabled: true, twoFactorOff: true });
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
    expect(await me.run((api) => api.twoFactor.disableTotp())).toEqual({ disabled: true, twoFactorOff: true });
  });

  it("keeps setup and settings behind a session", async () => {
    const anonymous = browser();
    await expectTRPCError(anonymous.run((api) => api.twoFactor.beginTotpSetup()), "UNAUTHORIZED");
    await expectTRPCError(anonymous.run((api) => api.twoFactor.disableTotp()), "UNAUTHORIZED");
    await expectTRPCError(anonymous.run((api) => api.twoFactor.status()), "UNAUTHORIZED");
  });

  /** Signs a new person up and adds a passkey on `authenticator` (one of the person's devices); returns its recovery codes. */
  async function personWithPasskey(authenticator: SoftwareAuthenticator) {
    const email = `passkey-2fa-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.test`;
    const me = browser();
    const user = await me.run((api) => api.auth.signUp({ email, firstname: "Grace", surname: "Hopper", password }));
    if (!("id" in user)) throw new Error("not signed in at once");
    const options = await me.run((api) => api.passkeys.registrationOptions({ name: "Laptop" }));
    const { credentialId, response } = authenticator.register(options.challenge, new TextEncoder().encode(user.id));
    const { recoveryCodes } = await me.run((api) => api.passkeys.add({ name: "Laptop", response }));
    return { email, me, credentialId, recoveryCodes };
  }

  it("a passkey is a second factor: the password opens the step, the passkey completes it, back to next, as password + passkey", async () => {
    const authenticator = new SoftwareAuthenticator(appRelyingParty());
    const { email, me, credentialId, recoveryCodes } = await personWithPasskey(authenticator);
    // The first second factor brings the ten recovery codes, shown once.
    expect(recoveryCodes).toHaveLength(10);
    expect(await me.run((api) => api.twoFactor.status())).toMatchObject({ totpEnabledAt: null, passkeys: 1, recoveryCodesLeft: 10 });

    const laptop = browser();
    const next = "/oauth/authorize?client_id=https%3A%2F%2Fapp.example%2Fclient.json&state=x";
    expect(await laptop.run((api) => api.auth.signIn({ email, password, next }))).toEqual({ secondFactorRequired: true });
    // Skipping the step: no session, nothing behind a session answers.
    expect(laptop.jar.get(SESSION_COOKIE_NAME)).toBeUndefined();
    expect(await laptop.run((api) => api.auth.me())).toBeNull();
    await expectTRPCError(laptop.run((api) => api.tokens.list()), "UNAUTHORIZED");

    const options = await laptop.run((api) => api.twoFactor.passkeyOptions());
    expect(options).toMatchObject({ rpId: "localhost", allowCredentialIds: [credentialId] });
    expect(await laptop.run((api) => api.twoFactor.verifySignInWithPasskey({ response: authenticator.assert(options.challenge, credentialId) }))).toEqual({ next });
    expect(laptop.jar.get(PENDING_SIGN_IN_COOKIE_NAME)).toBeUndefined();
    expect(await laptop.run((api) => api.auth.me())).toMatchObject({ email });
    const sessions = await laptop.run((api) => api.account.sessions());
    expect(sessions.find((session) => session.current)?.signInMethod).toBe("password + passkey");

    // A recovery code also completes the step of a passkey-only account.
    const phone = browser();
    await phone.run((api) => api.auth.signIn({ email, password }));
    expect(await phone.run((api) => api.twoFactor.verifySignInWithRecoveryCode({ code: recoveryCodes?.[0] ?? "" }))).toMatchObject({ recoveryCodesLeft: 9 });

    // Removing the last passkey turns two-factor off: the codes go, and the password alone signs in again.
    const [passkey] = await me.run((api) => api.passkeys.list());
    expect(await me.run((api) => api.passkeys.remove({ id: passkey?.id ?? "" }))).toEqual({ name: "Laptop", twoFactorOff: true });
    expect(await me.run((api) => api.twoFactor.status())).toMatchObject({ passkeys: 0, recoveryCodesLeft: 0 });
    expect(await browser().run((api) => api.auth.signIn({ email, password }))).toMatchObject({ email });
  });

  it("hostile: another account's passkey, a challenge of another purpose, a spent challenge, a replayed assertion, a pending sign-in used twice", async () => {
    const device = new SoftwareAuthenticator(appRelyingParty());
    const alice = await personWithPasskey(device);
    const mallory = await personWithPasskey(device);

    const laptop = browser();
    await laptop.run((api) => api.auth.signIn({ email: alice.email, password }));
    const pending = laptop.jar.get(PENDING_SIGN_IN_COOKIE_NAME) ?? "";
    // Mallory's passkey answering the challenge of Alice's sign-in: refused, and the challenge is spent.
    const aliceChallenge = await laptop.run((api) => api.twoFactor.passkeyOptions());
    await expectTRPCError(
      laptop.run((api) => api.twoFactor.verifySignInWithPasskey({ response: device.assert(aliceChallenge.challenge, mallory.credentialId) })),
      "FORBIDDEN",
      /another account/,
    );
    expect(await laptop.run((api) => api.auth.me())).toBeNull();
    await expectTRPCError(
      laptop.run((api) => api.twoFactor.verifySignInWithPasskey({ response: device.assert(aliceChallenge.challenge, alice.credentialId) })),
      "FORBIDDEN",
      /expired or was already used/,
    );
    // A challenge made for Mallory's own sign-in, or for a password-free sign-in, is not one for Alice's step.
    const malloryLaptop = browser();
    await malloryLaptop.run((api) => api.auth.signIn({ email: mallory.email, password }));
    const mallorysChallenge = await malloryLaptop.run((api) => api.twoFactor.passkeyOptions());
    const signInChallenge = await browser().run((api) => api.passkeys.signInOptions());
    for (const challenge of [mallorysChallenge.challenge, signInChallenge.challenge]) {
      await expectTRPCError(
        laptop.run((api) => api.twoFactor.verifySignInWithPasskey({ response: device.assert(challenge, alice.credentialId) })),
        "FORBIDDEN",
        /expired or was already used/,
      );
    }
    expect(await laptop.run((api) => api.auth.me())).toBeNull();

    // The honest answer signs in; the same answer sent again, from a browser with its own pending sign-in, does not.
    const fresh = await laptop.run((api) => api.twoFactor.passkeyOptions());
    const answer = device.assert(fresh.challenge, alice.credentialId);
    await laptop.run((api) => api.twoFactor.verifySignInWithPasskey({ response: answer }));
    expect(await laptop.run((api) => api.auth.me())).toMatchObject({ email: alice.email });
    const thief = browser();
    await thief.run((api) => api.auth.signIn({ email: alice.email, password }));
    await expectTRPCError(thief.run((api) => api.twoFactor.verifySignInWithPasskey({ response: answer })), "FORBIDDEN", /expired or was already used/);
    expect(await thief.run((api) => api.auth.me())).toBeNull();

    // The pending sign-in that was completed, presented again: gone, for a challenge and for an answer.
    const replayer = browser();
    replayer.jar.set(PENDING_SIGN_IN_COOKIE_NAME, pending);
    await expectTRPCError(replayer.run((api) => api.twoFactor.passkeyOptions()), "UNAUTHORIZED", /Sign in again/);
    await expectTRPCError(replayer.run((api) => api.twoFactor.verifySignInWithPasskey({ response: answer })), "UNAUTHORIZED", /Sign in again/);
    expect(await replayer.run((api) => api.auth.me())).toBeNull();
  });

  it("an app beside a passkey keeps the saved recovery codes, and turning it off leaves two-factor on", async () => {
    const authenticator = new SoftwareAuthenticator(appRelyingParty());
    const { email, me, credentialId, recoveryCodes } = await personWithPasskey(authenticator);
    const { setupKey } = await me.run((api) => api.twoFactor.beginTotpSetup());
    const key = decodeBase32IgnorePadding(setupKey.replaceAll(" ", ""));
    expect(await me.run((api) => api.twoFactor.enableTotp({ code: totpCodeAt(key, totpStep(new Date())) }))).toEqual({ recoveryCodes: null });
    expect(await me.run((api) => api.twoFactor.disableTotp())).toEqual({ disabled: true, twoFactorOff: false });
    expect(await me.run((api) => api.twoFactor.status())).toMatchObject({ totpEnabledAt: null, passkeys: 1, recoveryCodesLeft: 10 });
    const laptop = browser();
    expect(await laptop.run((api) => api.auth.signIn({ email, password }))).toEqual({ secondFactorRequired: true });
    // The TOTP step refuses (no app), the passkey passes.
    await expectTRPCError(laptop.run((api) => api.twoFactor.verifySignIn({ code: totpCodeAt(key, totpStep(new Date()) + 1) })), "BAD_REQUEST", /not right/);
    const options = await laptop.run((api) => api.twoFactor.passkeyOptions());
    await laptop.run((api) => api.twoFactor.verifySignInWithPasskey({ response: authenticator.assert(options.challenge, credentialId) }));
    expect(await laptop.run((api) => api.auth.me())).toMatchObject({ email });
    expect(recoveryCodes).toHaveLength(10);
  });
});
