import { randomUUID } from "node:crypto";
import { TRPCError } from "@trpc/server";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createCaller } from "~/server/api/root";
import { createInnerTRPCContext } from "~/server/api/trpc";
import { SOCKET_ADDRESS_HEADER } from "~/server/auth/client-ip";
import { SESSION_COOKIE_NAME } from "~/server/auth/cookie";
import { appRelyingParty, PASSKEY_NOT_VERIFIED_MESSAGE } from "~/server/auth/passkeys";
import { createSession, generateSessionToken, markSessionVerified, validateSessionToken, type SessionUser } from "~/server/auth/session";
import { SudoRequiredError } from "~/server/auth/sudo";
import { users, webauthnChallenges } from "~/server/db/schema";
import { engines } from "~/test/db";
import { useTestDatabase } from "~/test/fixtures";
import { SoftwareAuthenticator } from "~/test/software-authenticator";
import { AWAITING_CONFIRMATION_MESSAGE } from "./auth";

let ipCounter = 0;

async function refusal(promise: Promise<unknown>): Promise<TRPCError> {
  const error: unknown = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  if (!(error instanceof TRPCError)) throw new Error(`expected a TRPCError, got ${String(error)}`);
  return error;
}

describe.each(engines)("passkeys router on %s", (engine) => {
  const { db } = useTestDatabase(engine);

  async function newUser(): Promise<SessionUser> {
    const [user] = await db
      .insert(users)
      .values({ email: `${randomUUID()}@example.test`, firstname: "Ada", surname: "Lovelace", passwordHash: "not a hash" })
      .returning({ id: users.id, email: users.email, firstname: users.firstname, surname: users.surname });
    if (!user) throw new Error("no user");
    return user;
  }

  /** A caller for `user`'s browser (signed in), or for a signed-out one; resHeaders holds what it set. */
  async function browser(user: SessionUser | null) {
    const headers = new Headers({ [SOCKET_ADDRESS_HEADER]: `10.1.0.${++ipCounter}` });
    const resHeaders = new Headers();
    if (!user) return { caller: createCaller(createInnerTRPCContext({ db, headers, resHeaders })), resHeaders };
    const session = await createSession(db, generateSessionToken(), user.id);
    return { caller: createCaller(createInnerTRPCContext({ db, session, user, headers, resHeaders })), resHeaders };
  }

  async function addPasskey(user: SessionUser, authenticator: SoftwareAuthenticator, name: string) {
    const { caller } = await browser(user);
    const options = await caller.passkeys.registrationOptions({ name });
    expect(options.rp).toEqual({ id: "localhost", name: "Carestral" });
    expect(options.user.name).toBe(user.email);
    const { credentialId, response } = authenticator.register(options.challenge, new TextEncoder().encode(user.id));
    const { recoveryCodes, ...passkey } = await caller.passkeys.add({ name, response });
    return { credentialId, passkey, recoveryCodes };
  }

  it("adds a passkey for the signed-in person, lists it, and signs in with it: a new session cookie, no password", async () => {
    const authenticator = new SoftwareAuthenticator(appRelyingParty());
    const user = await newUser();
    const { credentialId, passkey } = await addPasskey(user, authenticator, "Laptop");
    const { caller } = await browser(user);
    expect(await caller.passkeys.list()).toEqual([passkey]);
    // The next registration excludes the authenticator that holds this one.
    expect((await caller.passkeys.registrationOptions({ name: "Phone" })).excludeCredentialIds).toEqual([credentialId]);

    const signedOut = await browser(null);
    const options = await signedOut.caller.passkeys.signInOptions();
    expect(options).toMatchObject({ rpId: "localhost", allowCredentialIds: [] });
    const signedIn = await signedOut.caller.passkeys.signIn({ response: authenticator.assert(options.challenge, credentialId) });
    expect(signedIn).toEqual(user);
    const cookie = signedOut.resHeaders.getSetCookie().find((header) => header.startsWith(`${SESSION_COOKIE_NAME}=`));
    const token = cookie?.split(";")[0]?.split("=")[1] ?? "";
    expect((await validateSessionToken(db, token)).user).toMatchObject(user);
  });

  it("checks the name before making a challenge, and refuses a malformed response with a 400", async () => {
    const user = await newUser();
    const { caller } = await browser(user);
    const before = await db.select({ id: webauthnChallenges.id }).from(webauthnChallenges).where(eq(webauthnChallenges.userId, user.id));
    for (const name of ["", "   ", "x".repeat(65), "bad\u202ename"]) {
      const error = await refusal(caller.passkeys.registrationOptions({ name }));
      expect(error.code).toBe("BAD_REQUEST");
    }
    expect(await db.select({ id: webauthnChallenges.id }).from(webauthnChallenges).where(eq(webauthnChallenges.userId, user.id))).toEqual(before);

    const garbled = await refusal(caller.passkeys.add({ name: "Laptop", response: { clientDataJSON: "bm90IGpzb24", attestationObject: "AAAA" } }));
    expect(garbled.code).toBe("BAD_REQUEST");
    const notBase64 = await refusal(caller.passkeys.add({ name: "Laptop", response: { clientDataJSON: "{}", attestationObject: "<>" } }));
    expect(notBase64.code).toBe("BAD_REQUEST");
    expect(await caller.passkeys.list()).toEqual([]);
  });

  it("renames and removes only the caller's passkeys; another's answers 404 and stays", async () => {
    const authenticator = new SoftwareAuthenticator(appRelyingParty());
    const owner = await newUser();
    const { passkey } = await addPasskey(owner, authenticator, "Laptop");
    const other = await browser(await newUser());
    expect((await refusal(other.caller.passkeys.rename({ id: passkey.id, name: "Mine" }))).code).toBe("NOT_FOUND");
    expect((await refusal(other.caller.passkeys.remove({ id: passkey.id }))).code).toBe("NOT_FOUND");
    const { caller } = await browser(owner);
    expect(await caller.passkeys.list()).toEqual([passkey]);
    await caller.passkeys.rename({ id: passkey.id, name: "  Old laptop " });
    expect((await caller.passkeys.list())[0]?.name).toBe("Old laptop");
    expect(await caller.passkeys.remove({ id: passkey.id })).toEqual({ name: "Old laptop", twoFactorOff: true });
    expect(await caller.passkeys.list()).toEqual([]);
  });

  it("signs nobody in on a refused assertion (403, no cookie), nor an account still waiting for its confirmation link", async () => {
    const authenticator = new SoftwareAuthenticator(appRelyingParty());
    const user = await newUser();
    const { credentialId } = await addPasskey(user, authenticator, "Laptop");

    const signedOut = await browser(null);
    const options = await signedOut.caller.passkeys.signInOptions();
    const wrongOrigin = authenticator.assert(options.challenge, credentialId, { origin: "http://localhost:3001" });
    const error = await refusal(signedOut.caller.passkeys.signIn({ response: wrongOrigin }));
    expect({ code: error.code, message: error.message }).toEqual({ code: "FORBIDDEN", message: PASSKEY_NOT_VERIFIED_MESSAGE });
    expect(signedOut.resHeaders.getSetCookie()).toEqual([]);

    await db.update(users).set({ awaitingConfirmation: true }).where(eq(users.id, user.id));
    const again = await browser(null);
    const challenge = (await again.caller.passkeys.signInOptions()).challenge;
    const awaiting = await refusal(again.caller.passkeys.signIn({ response: authenticator.assert(challenge, credentialId) }));
    expect(awaiting.message).toBe(AWAITING_CONFIRMATION_MESSAGE);
    expect(again.resHeaders.getSetCookie()).toEqual([]);
  });

  it("removing a passkey needs sudo mode: refused from a session whose last check is over 10 minutes old", async () => {
    const authenticator = new SoftwareAuthenticator(appRelyingParty());
    const owner = await newUser();
    const { passkey } = await addPasskey(owner, authenticator, "Laptop");
    const token = generateSessionToken();
    const session = await createSession(db, token, owner.id);
    await markSessionVerified(db, session.id, new Date(Date.now() - 11 * 60_000));
    const callerNow = async () => createCaller(createInnerTRPCContext({ db, session: (await validateSessionToken(db, token)).session, user: owner }));
    const refused = await refusal((await callerNow()).passkeys.remove({ id: passkey.id }));
    expect(refused.code).toBe("FORBIDDEN");
    expect(refused.cause).toBeInstanceOf(SudoRequiredError);
    expect(await (await callerNow()).passkeys.list()).toEqual([passkey]);
    await markSessionVerified(db, session.id);
    expect(await (await callerNow()).passkeys.remove({ id: passkey.id })).toEqual({ name: "Laptop", twoFactorOff: true });
  });

  it("needs a session for everything but signing in", async () => {
    const { caller } = await browser(null);
    expect((await refusal(caller.passkeys.list())).code).toBe("UNAUTHORIZED");
    expect((await refusal(caller.passkeys.registrationOptions({ name: "Laptop" }))).code).toBe("UNAUTHORIZED");
    expect((await refusal(caller.passkeys.remove({ id: randomUUID() }))).code).toBe("UNAUTHORIZED");
  });
});
