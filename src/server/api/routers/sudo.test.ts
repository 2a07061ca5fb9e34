import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import { createTRPCClient, httpLink, TRPCClientError } from "@trpc/client";
import { TRPCError } from "@trpc/server";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { and, eq, sql } from "drizzle-orm";
import superjson from "superjson";
import { describe, expect, it } from "vitest";
import { appRouter, createCaller, type AppRouter } from "~/server/api/root";
import { createInnerTRPCContext } from "~/server/api/trpc";
import { verifyUserPassword } from "~/server/auth/credentials";
import { appRelyingParty } from "~/server/auth/passkeys";
import { SOCKET_ADDRESS_HEADER } from "~/server/auth/client-ip";
import { readSessionCookie } from "~/server/auth/cookie";
import { sessionIdFromToken, validateSessionToken } from "~/server/auth/session";
import { SudoRequiredError, SUDO_DURATION_MS } from "~/server/auth/sudo";
import { totpCodeAt, totpStep } from "~/server/auth/totp";
import { WRONG_CONFIRM_CODE_MESSAGE } from "./auth";
import { apiTokens, sessions, users } from "~/server/db/schema";
import { sha256Hex } from "~/server/hash";
import { engines } from "~/test/db";
import { useTestDatabase } from "~/test/fixtures";
import { SoftwareAuthenticator } from "~/test/software-authenticator";

// Sudo mode (issue 22): the sensitive procedures need a check of who holds the session within 10 minutes.
// Signing up (or in) is one; the Confirm access prompt (auth.confirmAccess) is the other. A session is made
// "11 minutes later" by moving its last check back in the database, which is what the clock would do.

const MINUTE_MS = 60_000;
let personCount = 0;

describe.each(engines)("sudo mode on %s", (engine) => {
  const testDb = useTestDatabase(engine);

  /** A person signed up through the router, from a client address of their own, as one browser. */
  async function signedUpPerson() {
    personCount += 1;
    const headers = new Headers({ [SOCKET_ADDRESS_HEADER]: `10.22.0.${personCount}` });
    const email = `sudo${personCount}@example.com`;
    const password = `correct horse ${personCount} battery`;
    const resHeaders = new Headers();
    await createCaller(createInnerTRPCContext({ db: testDb.db, headers, resHeaders })).auth.signUp({ email, password, firstname: "Ada", surname: "Sudo" });
    const cookie = readSessionCookie(resHeaders.getSetCookie().map((header) => header.split(";")[0]).join("; "));
    if (cookie.kind !== "one" || !cookie.token) throw new Error("sign-up set no session cookie");
    const token = cookie.token;
    const sessionId = sessionIdFromToken(token);

    /** A caller for this browser's next request: the session as the server would read it now. */
    async function caller() {
      const { session, user } = await validateSessionToken(testDb.db, token);
      return createCaller(createInnerTRPCContext({ db: testDb.db, session, user, headers }));
    }
    /** The session's last check, moved `minutes` into the past. */
    async function lastCheckedMinutesAgo(minutes: number) {
      await testDb.db
        .update(sessions)
        .set({ lastVerifiedAt: new Date(Date.now() - minutes * MINUTE_MS) })
        .where(eq(sessions.id, sessionId));
    }
    async function tokenCount() {
      const [row] = await testDb.db.select({ count: sql<number>`count(*)::int` }).from(apiTokens).where(eq(apiTokens.kind, "personal"));
      return row?.count ?? 0;
    }
    return { email, password, token, sessionId, headers, caller, lastCheckedMinutesAgo, tokenCount };
  }

  async function refusedForSudo(call: Promise<unknown>): Promise<void> {
    const error = await call.then(
      () => {
        throw new Error("expected the call to be refused for want of sudo mode");
      },
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(TRPCError);
    expect((error as TRPCError).code).toBe("FORBIDDEN");
    expect((error as TRPCError).cause).toBeInstanceOf(SudoRequiredError);
    expect((error as TRPCError).message).toMatch(/^Confirm access/);
  }

  it("a fresh sign-up is in sudo mode; 11 minutes later a token that can book is refused; after Confirm access it is made", async () => {
    const person = await signedUpPerson();
    const created = await (await person.caller()).tokens.generate({ name: "Fresh", scopes: ["read:data", "write:bookings"], expiresInDays: 30 });
    expect(created.scopes).toEqual(["read:data", "write:bookings"]);

    await person.lastCheckedMinutesAgo(11);
    const before = await person.tokenCount();
    await refusedForSudo((await person.caller()).tokens.generate({ name: "Later", scopes: ["read:data", "write:bookings"], expiresInDays: 30 }));
    expect(await person.tokenCount()).toBe(before);
    // A token that can only read is no more than the session already is: no prompt for it.
    await (await person.caller()).tokens.generate({ name: "Read only", scopes: ["read:data"], expiresInDays: 30 });

    const confirmed = await (await person.caller()).auth.confirmAccess({ password: person.password });
    expect(confirmed.confirmed).toBe(true);
    expect(confirmed.sudoUntil.getTime()).toBeGreaterThan(Date.now() + SUDO_DURATION_MS - MINUTE_MS);
    const after = await (await person.caller()).tokens.generate({ name: "Later", scopes: ["read:data", "write:bookings"], expiresInDays: 30 });
    expect(after.name).toBe("Later");
  });

  it("9 minutes after the last check is still sudo mode", async () => {
    const person = await signedUpPerson();
    await person.lastCheckedMinutesAgo(9);
    const created = await (await person.caller()).tokens.generate({ name: "Nine", scopes: ["write:bookings", "read:data"], expiresInDays: 7 });
    expect(created.name).toBe("Nine");
  });

  it("signing in again counts as a check", async () => {
    const person = await signedUpPerson();
    const resHeaders = new Headers();
    await createCaller(createInnerTRPCContext({ db: testDb.db, headers: person.headers, resHeaders })).auth.signIn({ email: person.email, password: person.password });
    const cookie = readSessionCookie(resHeaders.getSetCookie().map((header) => header.split(";")[0]).join("; "));
    if (cookie.kind !== "one" || !cookie.token) throw new Error("sign-in set no session cookie");
    const { session, user } = await validateSessionToken(testDb.db, cookie.token);
    expect(session?.lastVerifiedAt?.getTime()).toBeGreaterThan(Date.now() - MINUTE_MS);
    const caller = createCaller(createInnerTRPCContext({ db: testDb.db, session, user, headers: person.headers }));
    await caller.tokens.generate({ name: "After sign-in", scopes: ["read:data", "write:bookings"], expiresInDays: 30 });
  });

  it("a session from before sudo mode existed (no check on record) is not in it", async () => {
    const person = await signedUpPerson();
    await testDb.db.update(sessions).set({ lastVerifiedAt: null }).where(eq(sessions.id, person.sessionId));
    await refusedForSudo((await person.caller()).tokens.generate({ name: "Old session", scopes: ["write:bookings"], expiresInDays: 30 }));
  });

  it("every sensitive procedure refuses without sudo mode, and changes nothing", async () => {
    const person = await signedUpPerson();
    const token = await (await person.caller()).tokens.generate({ name: "To regenerate", scopes: ["read:data"], expiresInDays: 30 });
    const [{ userId } = { userId: "" }] = await testDb.db.select({ userId: sessions.userId }).from(sessions).where(eq(sessions.id, person.sessionId));
    // The older system's JWT with write:bookings, seen recently: its one-click replacement can book too.
    await testDb.db.insert(apiTokens).values({
      userId,
      name: "Legacy JWT",
      kind: "legacy_jwt",
      tokenHash: sha256Hex(`legacy-jwt:${userId}`),
      tokenPrefix: "JWT",
      scopes: ["read:data", "write:bookings"],
      lastUsedAt: new Date(),
    });
    await person.lastCheckedMinutesAgo(11);
    const tokensBefore = await person.tokenCount();
    const [secretBefore] = await testDb.db.select({ hash: apiTokens.tokenHash }).from(apiTokens).where(eq(apiTokens.id, token.id));

    const caller = await person.caller();
    await refusedForSudo(caller.tokens.generate({ name: "Booker", scopes: ["read:data", "write:bookings"], expiresInDays: 30 }));
    await refusedForSudo(caller.tokens.regenerate({ id: token.id, overlap: "none" }));
    await refusedForSudo(caller.legacyJwt.replace());
    await refusedForSudo(caller.account.changePassword({ currentPassword: person.password, newPassword: "a brand new passphrase 22" }));
    await refusedForSudo(caller.account.deleteAccount({ password: person.password }));

    expect(await person.tokenCount()).toBe(tokensBefore);
    const [secretAfter] = await testDb.db.select({ hash: apiTokens.tokenHash }).from(apiTokens).where(eq(apiTokens.id, token.id));
    expect(secretAfter).toEqual(secretBefore);
    expect(await verifyUserPassword(testDb.db, userId, person.password)).toBe(true);
    const [account] = await testDb.db.select({ id: users.id }).from(users).where(eq(users.id, userId));
    expect(account?.id).toBe(userId);
    const [session] = await testDb.db.select({ id: sessions.id }).from(sessions).where(and(eq(sessions.id, person.sessionId), eq(sessions.userId, userId)));
    expect(session).toBeDefined();

    // The same session, once it confirms access, may do each of them.
    await (await person.caller()).auth.confirmAccess({ password: person.password });
    const confirmedCaller = await person.caller();
    await confirmedCaller.tokens.regenerate({ id: token.id, overlap: "none" });
    const replacement = await confirmedCaller.legacyJwt.replace();
    expect(replacement.scopes).toEqual(["read:data", "write:bookings"]);
    await confirmedCaller.account.changePassword({ currentPassword: person.password, newPassword: "a brand new passphrase 22" });
    await confirmedCaller.account.deleteAccount({ password: "a brand new passphrase 22" });
    expect(await testDb.db.select({ id: users.id }).from(users).where(eq(users.id, userId))).toEqual([]);
  });

  it("a wrong password in the prompt is refused by the field, grants nothing, and attempts are limited like sign-in's", async () => {
    const person = await signedUpPerson();
    await person.lastCheckedMinutesAgo(11);
    const refusal = await (await person.caller()).auth.confirmAccess({ password: "not my password" }).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(TRPCError);
    expect((refusal as TRPCError).code).toBe("FORBIDDEN");
    expect((refusal as TRPCError).message).toBe("That is not your current password.");
    await refusedForSudo((await person.caller()).tokens.generate({ name: "Still no", scopes: ["write:bookings"], expiresInDays: 30 }));

    // AUTH_RATE_LIMIT_PER_MINUTE (10 in tests) attempts a minute; the one before was the first.
    let limited: TRPCError | undefined;
    for (let attempt = 2; attempt <= 12 && !limited; attempt += 1) {
      const error = await (await person.caller()).auth.confirmAccess({ password: `guess ${attempt}` }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(TRPCError);
      if ((error as TRPCError).code === "TOO_MANY_REQUESTS") limited = error as TRPCError;
      else expect((error as TRPCError).code).toBe("FORBIDDEN");
    }
    expect(limited?.message).toMatch(/^Too many attempts\. Try again in \d+ seconds?\.$/);
    // Past the limit even the right password is not tried, and the session stays out of sudo mode.
    const blocked = await (await person.caller()).auth.confirmAccess({ password: person.password }).catch((error: unknown) => error);
    expect((blocked as TRPCError).code).toBe("TOO_MANY_REQUESTS");
    await refusedForSudo((await person.caller()).tokens.generate({ name: "Still no", scopes: ["write:bookings"], expiresInDays: 30 }));
  });

  it("Confirm access with one of the account's passkeys puts the session in sudo mode; another account's passkey or a spent challenge does not", async () => {
    const person = await signedUpPerson();
    const other = await signedUpPerson();
    /** Adds a passkey on `authenticator` to the account (while the session is fresh) and returns its credential id. */
    async function addPasskey(owner: typeof person, authenticator: SoftwareAuthenticator) {
      const caller = await owner.caller();
      const me = await caller.auth.me();
      if (!me) throw new Error("not signed in");
      const options = await caller.passkeys.registrationOptions({ name: "Laptop" });
      const { credentialId, response } = authenticator.register(options.challenge, new TextEncoder().encode(me.id));
      await caller.passkeys.add({ name: "Laptop", response });
      return credentialId;
    }
    const mine = new SoftwareAuthenticator(appRelyingParty());
    const theirs = new SoftwareAuthenticator(appRelyingParty());
    const myCredential = await addPasskey(person, mine);
    const theirCredential = await addPasskey(other, theirs);
    await person.lastCheckedMinutesAgo(11);

    // Another account's passkey, answering my challenge: refused, still out of sudo mode.
    const first = await (await person.caller()).auth.confirmAccessPasskeyOptions();
    expect(first.allowCredentialIds).toEqual([myCredential]);
    const foreign = await (await person.caller()).auth.confirmAccessWithPasskey({ response: theirs.assert(first.challenge, theirCredential) }).catch((error: unknown) => error);
    expect(foreign).toBeInstanceOf(TRPCError);
    expect((foreign as TRPCError).code).toBe("FORBIDDEN");
    await refusedForSudo((await person.caller()).tokens.generate({ name: "No", scopes: ["write:bookings"], expiresInDays: 30 }));
    // That challenge was spent by the refused answer: my own passkey cannot reuse it.
    const replay = await (await person.caller()).auth.confirmAccessWithPasskey({ response: mine.assert(first.challenge, myCredential) }).catch((error: unknown) => error);
    expect(replay).toBeInstanceOf(TRPCError);
    await refusedForSudo((await person.caller()).tokens.generate({ name: "No", scopes: ["write:bookings"], expiresInDays: 30 }));

    const second = await (await person.caller()).auth.confirmAccessPasskeyOptions();
    const confirmed = await (await person.caller()).auth.confirmAccessWithPasskey({ response: mine.assert(second.challenge, myCredential) });
    expect(confirmed.confirmed).toBe(true);
    const created = await (await person.caller()).tokens.generate({ name: "After passkey", scopes: ["read:data", "write:bookings"], expiresInDays: 30 });
    expect(created.name).toBe("After passkey");
  });

  /** Turns the person's authenticator app on with the previous step's code; returns its key, the current step and the recovery codes. */
  async function withAuthenticatorApp(person: Awaited<ReturnType<typeof signedUpPerson>>) {
    const { setupKey } = await (await person.caller()).twoFactor.beginTotpSetup();
    const key = decodeBase32IgnorePadding(setupKey.replaceAll(" ", ""));
    const step = totpStep(new Date());
    const { recoveryCodes } = await (await person.caller()).twoFactor.enableTotp({ code: totpCodeAt(key, step - 1) });
    return { key, step, recoveryCodes };
  }

  async function refusedCode(call: Promise<unknown>, code: TRPCError["code"], message: string | RegExp): Promise<void> {
    const error = await call.then(
      () => {
        throw new Error("expected the code to be refused");
      },
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(TRPCError);
    expect((error as TRPCError).code).toBe(code);
    expect((error as TRPCError).message).toMatch(message);
  }

  it("Confirm access with an authenticator code: another account's code and a replayed one are refused; a right one lets the refused change through", async () => {
    const person = await signedUpPerson();
    const other = await signedUpPerson();
    const mine = await withAuthenticatorApp(person);
    const theirs = await withAuthenticatorApp(other);
    await person.lastCheckedMinutesAgo(11);
    let bookers = 0;
    const booker = () => ({ name: `Booker ${++bookers}`, scopes: ["read:data", "write:bookings"] as ("read:data" | "write:bookings")[], expiresInDays: 30 });
    await refusedForSudo((await person.caller()).tokens.generate(booker()));

    // A code from another account's key, valid for that account right now: not mine.
    await refusedCode((await person.caller()).auth.confirmAccessWithCode({ code: totpCodeAt(theirs.key, theirs.step) }), "BAD_REQUEST", WRONG_CONFIRM_CODE_MESSAGE);
    await refusedForSudo((await person.caller()).tokens.generate(booker()));

    const myCode = totpCodeAt(mine.key, mine.step);
    const confirmed = await (await person.caller()).auth.confirmAccessWithCode({ code: myCode });
    expect(confirmed).toMatchObject({ confirmed: true, recoveryCodesLeft: null });
    expect(confirmed.sudoUntil.getTime()).toBeGreaterThan(Date.now() + SUDO_DURATION_MS - MINUTE_MS);
    // The change that was refused, sent again (as the browser's sudo link does), now passes.
    expect((await (await person.caller()).tokens.generate(booker())).name).toMatch(/^Booker \d+$/);

    // 11 minutes later the same code, replayed (it is still inside its window), confirms nothing.
    await person.lastCheckedMinutesAgo(11);
    await refusedCode((await person.caller()).auth.confirmAccessWithCode({ code: ` ${myCode.slice(0, 3)} ${myCode.slice(3)} ` }), "BAD_REQUEST", WRONG_CONFIRM_CODE_MESSAGE);
    await refusedForSudo((await person.caller()).tokens.generate(booker()));
    // The app's next code does.
    await (await person.caller()).auth.confirmAccessWithCode({ code: totpCodeAt(mine.key, mine.step + 1) });
    await (await person.caller()).tokens.generate(booker());
  });

  it("Confirm access with a recovery code spends it and says how many are left; used twice it is refused", async () => {
    const person = await signedUpPerson();
    const { recoveryCodes } = await withAuthenticatorApp(person);
    const [first = ""] = recoveryCodes ?? [];
    await person.lastCheckedMinutesAgo(11);
    const confirmed = await (await person.caller()).auth.confirmAccessWithCode({ code: first.toUpperCase() });
    expect(confirmed).toMatchObject({ confirmed: true, recoveryCodesLeft: 9 });
    await (await person.caller()).tokens.generate({ name: "After recovery code", scopes: ["write:bookings"], expiresInDays: 7 });

    await person.lastCheckedMinutesAgo(11);
    await refusedCode((await person.caller()).auth.confirmAccessWithCode({ code: first }), "BAD_REQUEST", WRONG_CONFIRM_CODE_MESSAGE);
    await refusedForSudo((await person.caller()).tokens.generate({ name: "No", scopes: ["write:bookings"], expiresInDays: 7 }));
    expect((await (await person.caller()).twoFactor.status()).recoveryCodesLeft).toBe(9);
  });

  it("codes in the prompt count against the account's 5 per 15 minutes: past it even a right code is refused, with when to retry", async () => {
    const person = await signedUpPerson();
    const mine = await withAuthenticatorApp(person);
    await person.lastCheckedMinutesAgo(11);
    for (let attempt = 1; attempt <= 5; attempt += 1) {
      await refusedCode((await person.caller()).auth.confirmAccessWithCode({ code: String(100000 + attempt) }), "BAD_REQUEST", WRONG_CONFIRM_CODE_MESSAGE);
    }
    const resHeaders = new Headers();
    const { session, user } = await validateSessionToken(testDb.db, person.token);
    const caller = createCaller(createInnerTRPCContext({ db: testDb.db, session, user, headers: person.headers, resHeaders }));
    await refusedCode(caller.auth.confirmAccessWithCode({ code: totpCodeAt(mine.key, mine.step) }), "TOO_MANY_REQUESTS", /^Too many codes tried for this account\. Try again in 1[45] minutes\.$/);
    expect(Number(resHeaders.get("Retry-After"))).toBeGreaterThan(13 * 60);
    await refusedForSudo((await person.caller()).tokens.generate({ name: "No", scopes: ["write:bookings"], expiresInDays: 7 }));
    // The password is another way, with its own limit: the owner is not locked out by someone guessing codes.
    await (await person.caller()).auth.confirmAccess({ password: person.password });
    await (await person.caller()).tokens.generate({ name: "With the password", scopes: ["write:bookings"], expiresInDays: 7 });
  });

  it("an account without an authenticator app cannot confirm with a code", async () => {
    const person = await signedUpPerson();
    await person.lastCheckedMinutesAgo(11);
    await refusedCode((await person.caller()).auth.confirmAccessWithCode({ code: "123456" }), "BAD_REQUEST", WRONG_CONFIRM_CODE_MESSAGE);
    await refusedForSudo((await person.caller()).tokens.generate({ name: "No", scopes: ["write:bookings"], expiresInDays: 7 }));
  });

  it("the browser sees the refusal as FORBIDDEN with data.sudoRequired, and an ordinary refusal without it", async () => {
    const person = await signedUpPerson();
    await person.lastCheckedMinutesAgo(11);
    const client = createTRPCClient<AppRouter>({
      links: [
        httpLink({
          url: "http://carestral.test/api/trpc",
          transformer: superjson,
          fetch: async (input, init) =>
            fetchRequestHandler({
              endpoint: "/api/trpc",
              req: new Request(input as RequestInfo, init as RequestInit),
              router: appRouter,
              createContext: async () => {
                const { session, user } = await validateSessionToken(testDb.db, person.token);
                return createInnerTRPCContext({ db: testDb.db, session, user, headers: person.headers });
              },
            }),
        }),
      ],
    });
    const refused = await client.tokens.generate.mutate({ name: "Over HTTP", scopes: ["write:bookings"], expiresInDays: 30 }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(TRPCClientError);
    const shape = refused as TRPCClientError<AppRouter>;
    expect(shape.data?.code).toBe("FORBIDDEN");
    expect(shape.data?.httpStatus).toBe(403);
    expect(shape.data?.sudoRequired).toBe(true);

    const wrong = await client.auth.confirmAccess.mutate({ password: "not my password" }).catch((error: unknown) => error);
    const wrongShape = wrong as TRPCClientError<AppRouter>;
    expect(wrongShape.data?.sudoRequired).toBe(false);
    expect(wrongShape.data?.zodError?.fieldErrors).toEqual({ password: ["That is not your current password."] });
  });
});
