import { generateKeyPairSync, randomUUID, type KeyObject } from "node:crypto";
import { sha256 } from "@oslojs/crypto/sha2";
import { decodeBase64urlIgnorePadding, encodeBase64urlNoPadding, encodeHexLowerCase } from "@oslojs/encoding";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import type { Database } from "~/server/db/client";
import { passkeyCredentials, users, webauthnChallenges } from "~/server/db/schema";
import { DomainError } from "~/server/domain-error";
import { engines } from "~/test/db";
import { useTestDatabase } from "~/test/fixtures";
import { SoftwareAuthenticator } from "~/test/software-authenticator";
import {
  addPasskey,
  CHALLENGE_LIFETIME_MS,
  CHALLENGE_SPENT_MESSAGE,
  createWebAuthnChallenge,
  listPasskeys,
  PASSKEY_ALREADY_ADDED_MESSAGE,
  PASSKEY_COUNTER_MESSAGE,
  PASSKEY_NOT_VERIFIED_MESSAGE,
  PASSKEY_OF_ANOTHER_ACCOUNT_MESSAGE,
  PASSKEY_UNKNOWN_MESSAGE,
  purgeExpiredWebAuthnChallenges,
  passkeyUserHandle,
  NO_SUCH_PASSKEY_MESSAGE,
  removePasskey,
  renamePasskey,
  verifyPasskeyAssertion,
} from "./passkeys";
import { relyingPartyFor } from "./webauthn";

const rp = relyingPartyFor("https://carestral.example");

/** A new P-256 key pair whose `coordinate` has a zero first byte (about one try in 256). */
function p256KeyWhose(coordinate: "x" | "y"): { privateKey: KeyObject; publicKey: KeyObject } {
  for (;;) {
    const keyPair = generateKeyPairSync("ec", { namedCurve: "P-256" });
    if (decodeBase64urlIgnorePadding(keyPair.publicKey.export({ format: "jwk" })[coordinate] ?? "")[0] === 0) return keyPair;
  }
}

/** The key as SEC1 uncompressed bytes (0x04, x, y), as Node.js writes it. */
function sec1Uncompressed(publicKey: KeyObject): Uint8Array {
  const spki = publicKey.export({ format: "der", type: "spki" });
  return new Uint8Array(spki.subarray(spki.length - 65));
}

async function newUser(db: Database): Promise<string> {
  const [user] = await db
    .insert(users)
    .values({ email: `${randomUUID()}@example.test`, firstname: "Ada", surname: "Lovelace", passwordHash: "not a hash" })
    .returning({ id: users.id });
  if (!user) throw new Error("no user");
  return user.id;
}

/** Expects `promise` to be refused with a DomainError carrying `message`. */
async function expectRefusal(promise: Promise<unknown>, message: string): Promise<void> {
  const error: unknown = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(DomainError);
  expect((error as DomainError).message).toBe(message);
}

describe.each(engines)("passkeys on %s", (engine) => {
  const { db } = useTestDatabase(engine);

  /** A user with one passkey on `authenticator` (made with `options`); returns the ids. */
  async function userWithPasskey(authenticator: SoftwareAuthenticator, name = "Laptop", options: Parameters<SoftwareAuthenticator["register"]>[2] = {}) {
    const userId = await newUser(db);
    const challenge = await createWebAuthnChallenge(db, "registration", userId);
    const { credentialId, response } = authenticator.register(challenge, passkeyUserHandle(userId), options);
    const passkey = await addPasskey(db, { userId, name, response }, rp);
    return { userId, credentialId, passkey };
  }

  async function signIn(authenticator: SoftwareAuthenticator, credentialId: string, options: Parameters<SoftwareAuthenticator["assert"]>[2] = {}) {
    const challenge = await createWebAuthnChallenge(db, "sign_in", null);
    return verifyPasskeyAssertion(db, { purpose: "sign_in", userId: null, response: authenticator.assert(challenge, credentialId, options) }, rp);
  }

  async function storedPublicKey(credentialId: string): Promise<Uint8Array | undefined> {
    const [row] = await db.select({ publicKey: passkeyCredentials.publicKey }).from(passkeyCredentials).where(eq(passkeyCredentials.credentialId, credentialId));
    return row && decodeBase64urlIgnorePadding(row.publicKey);
  }

  async function storedCounter(credentialId: string): Promise<number | undefined> {
    const [row] = await db.select({ signCount: passkeyCredentials.signCount }).from(passkeyCredentials).where(eq(passkeyCredentials.credentialId, credentialId));
    return row?.signCount;
  }

  it("adds a passkey, lists it, and signs in with it instead of the password: the passkey names the account", async () => {
    const authenticator = new SoftwareAuthenticator(rp);
    const { userId, credentialId, passkey } = await userWithPasskey(authenticator, "Work laptop");
    expect(passkey).toMatchObject({ name: "Work laptop", lastUsedAt: null });
    expect(await listPasskeys(db, userId)).toEqual([passkey]);

    const verified = await signIn(authenticator, credentialId);
    expect(verified.user.id).toBe(userId);
    expect(verified.passkey).toEqual({ id: passkey.id, name: "Work laptop" });
    expect(await storedCounter(credentialId)).toBe(2);
    const [listed] = await listPasskeys(db, userId);
    expect(listed?.lastUsedAt).toBeInstanceOf(Date);
    // Only public keys are stored.
    const [row] = await db.select().from(passkeyCredentials).where(eq(passkeyCredentials.id, passkey.id));
    expect(Object.keys(row ?? {}).sort()).toEqual(["algorithm", "createdAt", "credentialId", "id", "lastUsedAt", "name", "publicKey", "signCount", "userId"]);
  });

  it("spends a challenge on first use: a replayed assertion, or one whose check failed, cannot be sent again", async () => {
    const authenticator = new SoftwareAuthenticator(rp);
    const { credentialId } = await userWithPasskey(authenticator);
    const challenge = await createWebAuthnChallenge(db, "sign_in", null);
    const assertion = authenticator.assert(challenge, credentialId);
    await verifyPasskeyAssertion(db, { purpose: "sign_in", userId: null, response: assertion }, rp);
    await expectRefusal(verifyPasskeyAssertion(db, { purpose: "sign_in", userId: null, response: assertion }, rp), CHALLENGE_SPENT_MESSAGE);

    // A refused answer (here from another origin) spends its challenge too: the right one cannot follow it.
    const second = await createWebAuthnChallenge(db, "sign_in", null);
    await expectRefusal(
      verifyPasskeyAssertion(db, { purpose: "sign_in", userId: null, response: authenticator.assert(second, credentialId, { origin: "https://evil.example" }) }, rp),
      PASSKEY_NOT_VERIFIED_MESSAGE,
    );
    await expectRefusal(
      verifyPasskeyAssertion(db, { purpose: "sign_in", userId: null, response: authenticator.assert(second, credentialId) }, rp),
      CHALLENGE_SPENT_MESSAGE,
    );

    // A challenge nobody issued, one made for another purpose, and one past its five minutes.
    await expectRefusal(
      verifyPasskeyAssertion(db, { purpose: "sign_in", userId: null, response: authenticator.assert("bm90LWlzc3VlZC1ieS11cw", credentialId) }, rp),
      CHALLENGE_SPENT_MESSAGE,
    );
    const { userId } = await userWithPasskey(authenticator);
    const registration = await createWebAuthnChallenge(db, "registration", userId);
    await expectRefusal(
      verifyPasskeyAssertion(db, { purpose: "sign_in", userId: null, response: authenticator.assert(registration, credentialId) }, rp),
      CHALLENGE_SPENT_MESSAGE,
    );
    const issuedAt = new Date();
    const old = await createWebAuthnChallenge(db, "sign_in", null, issuedAt);
    await expectRefusal(
      verifyPasskeyAssertion(
        db,
        { purpose: "sign_in", userId: null, response: authenticator.assert(old, credentialId) },
        rp,
        new Date(issuedAt.getTime() + CHALLENGE_LIFETIME_MS),
      ),
      CHALLENGE_SPENT_MESSAGE,
    );
  });

  it("refuses a counter that goes backwards or stands still, and keeps the stored one", async () => {
    const authenticator = new SoftwareAuthenticator(rp);
    const { credentialId } = await userWithPasskey(authenticator);
    await signIn(authenticator, credentialId, { signCount: 10 });
    expect(await storedCounter(credentialId)).toBe(10);
    await expectRefusal(signIn(authenticator, credentialId, { signCount: 9 }), PASSKEY_COUNTER_MESSAGE);
    await expectRefusal(signIn(authenticator, credentialId, { signCount: 10 }), PASSKEY_COUNTER_MESSAGE);
    await expectRefusal(signIn(authenticator, credentialId, { signCount: 0 }), PASSKEY_COUNTER_MESSAGE);
    expect(await storedCounter(credentialId)).toBe(10);
    await signIn(authenticator, credentialId, { signCount: 11 });
    expect(await storedCounter(credentialId)).toBe(11);
  });

  it("lets two racing assertions with the same counter value through once", async () => {
    const authenticator = new SoftwareAuthenticator(rp);
    const { credentialId } = await userWithPasskey(authenticator);
    const challenges = await Promise.all([createWebAuthnChallenge(db, "sign_in", null), createWebAuthnChallenge(db, "sign_in", null)]);
    const assertions = challenges.map((challenge) => authenticator.assert(challenge, credentialId, { signCount: 5 }));
    const results = await Promise.allSettled(assertions.map((response) => verifyPasskeyAssertion(db, { purpose: "sign_in", userId: null, response }, rp)));
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
  });

  it("accepts a counter that stays 0 (synced passkeys keep none)", async () => {
    const authenticator = new SoftwareAuthenticator(rp, "zero");
    const { credentialId } = await userWithPasskey(authenticator);
    expect(await storedCounter(credentialId)).toBe(0);
    await signIn(authenticator, credentialId);
    await signIn(authenticator, credentialId);
    expect(await storedCounter(credentialId)).toBe(0);
  });

  it("refuses a response made for another origin or rp id, another ceremony, or inside a frame of another site", async () => {
    const authenticator = new SoftwareAuthenticator(rp);
    const { credentialId, userId } = await userWithPasskey(authenticator);
    for (const options of [
      { origin: "https://carestral.example.evil.test" },
      { origin: "http://carestral.example" },
      { origin: "https://sub.carestral.example" },
      { rpId: "evil.example" },
      { type: "webauthn.create" },
      { crossOrigin: true },
    ]) {
      await expectRefusal(signIn(authenticator, credentialId, options), PASSKEY_NOT_VERIFIED_MESSAGE);
    }
    // And when adding one: nothing is stored.
    for (const options of [{ origin: "https://evil.example" }, { rpId: "evil.example" }, { type: "webauthn.get" }, { userVerified: false }]) {
      const challenge = await createWebAuthnChallenge(db, "registration", userId);
      const { response } = authenticator.register(challenge, passkeyUserHandle(userId), options);
      await expectRefusal(addPasskey(db, { userId, name: "Phone", response }, rp), PASSKEY_NOT_VERIFIED_MESSAGE);
    }
    expect(await listPasskeys(db, userId)).toHaveLength(1);
  });

  it("refuses an assertion for another account's passkey, and a user handle that names another account", async () => {
    const authenticator = new SoftwareAuthenticator(rp);
    const alice = await userWithPasskey(authenticator);
    const bob = await userWithPasskey(authenticator);

    // Alice's second step (her password checked), answered with Bob's passkey.
    const challenge = await createWebAuthnChallenge(db, "second_factor", alice.userId);
    await expectRefusal(
      verifyPasskeyAssertion(db, { purpose: "second_factor", userId: alice.userId, response: authenticator.assert(challenge, bob.credentialId) }, rp),
      PASSKEY_OF_ANOTHER_ACCOUNT_MESSAGE,
    );
    // A challenge made for Alice does not serve Bob either.
    const aliceChallenge = await createWebAuthnChallenge(db, "second_factor", alice.userId);
    await expectRefusal(
      verifyPasskeyAssertion(db, { purpose: "second_factor", userId: bob.userId, response: authenticator.assert(aliceChallenge, bob.credentialId) }, rp),
      CHALLENGE_SPENT_MESSAGE,
    );
    // Bob's passkey presented as Alice's (her user handle): refused, not a sign-in as either.
    await expectRefusal(signIn(authenticator, bob.credentialId, { userHandle: passkeyUserHandle(alice.userId) }), PASSKEY_OF_ANOTHER_ACCOUNT_MESSAGE);
    // Alice's credential id with a signature by Bob's key.
    const forged = await createWebAuthnChallenge(db, "sign_in", null);
    const signedByBob = authenticator.assert(forged, bob.credentialId, { userHandle: passkeyUserHandle(alice.userId) });
    await expectRefusal(
      verifyPasskeyAssertion(db, { purpose: "sign_in", userId: null, response: { ...signedByBob, credentialId: alice.credentialId } }, rp),
      PASSKEY_NOT_VERIFIED_MESSAGE,
    );
    // Her own passkey passes her second step.
    const own = await createWebAuthnChallenge(db, "second_factor", alice.userId);
    const verified = await verifyPasskeyAssertion(db, { purpose: "second_factor", userId: alice.userId, response: authenticator.assert(own, alice.credentialId) }, rp);
    expect(verified.user.id).toBe(alice.userId);
  });

  it("signs in without a password only with a verified user and a user handle; a second step needs presence only", async () => {
    const authenticator = new SoftwareAuthenticator(rp);
    const { userId, credentialId } = await userWithPasskey(authenticator);
    await expectRefusal(signIn(authenticator, credentialId, { userVerified: false }), PASSKEY_NOT_VERIFIED_MESSAGE);
    await expectRefusal(signIn(authenticator, credentialId, { userHandle: null }), PASSKEY_NOT_VERIFIED_MESSAGE);
    const challenge = await createWebAuthnChallenge(db, "second_factor", userId);
    const response = authenticator.assert(challenge, credentialId, { userVerified: false, userHandle: null });
    expect((await verifyPasskeyAssertion(db, { purpose: "second_factor", userId, response }, rp)).user.id).toBe(userId);
  });

  it("refuses an unknown passkey, and a passkey already added (to this or another account)", async () => {
    const authenticator = new SoftwareAuthenticator(rp);
    const { userId } = await userWithPasskey(authenticator);
    const stranger = new SoftwareAuthenticator(rp);
    const { credentialId: unknownId } = stranger.register("dW51c2Vk", passkeyUserHandle(userId));
    await expectRefusal(signIn(stranger, unknownId), PASSKEY_UNKNOWN_MESSAGE);

    // The same credential (same id) sent again, on another account.
    const otherId = await newUser(db);
    const first = await createWebAuthnChallenge(db, "registration", userId);
    const registered = authenticator.register(first, passkeyUserHandle(userId));
    await addPasskey(db, { userId, name: "Tablet", response: registered.response }, rp);
    const second = await createWebAuthnChallenge(db, "registration", otherId);
    const replayed = authenticator.register(second, passkeyUserHandle(otherId));
    const attestationOfFirst = registered.response.attestationObject;
    await expectRefusal(addPasskey(db, { userId: otherId, name: "Mine now", response: { ...replayed.response, attestationObject: attestationOfFirst } }, rp), PASSKEY_ALREADY_ADDED_MESSAGE);
    expect(await listPasskeys(db, otherId)).toEqual([]);
  });

  it("takes RS256 passkeys (Windows Hello) as well as ES256", async () => {
    const authenticator = new SoftwareAuthenticator(rp);
    const { userId, credentialId } = await userWithPasskey(authenticator, "Windows Hello", { algorithm: "RS256" });
    expect((await signIn(authenticator, credentialId)).user.id).toBe(userId);
  });

  it("takes ES256 keys whose x or y starts with a zero byte (one in 128), and stores them whole", async () => {
    for (const coordinate of ["x", "y"] as const) {
      const keyPair = p256KeyWhose(coordinate);
      const authenticator = new SoftwareAuthenticator(rp);
      const { userId, credentialId } = await userWithPasskey(authenticator, "Phone", { keyPair });
      expect(await storedPublicKey(credentialId)).toEqual(sec1Uncompressed(keyPair.publicKey));
      expect((await signIn(authenticator, credentialId)).user.id).toBe(userId);
    }
  });

  it("signs in with a key stored by the old encoder (y without its leading zero byte), and writes it right", async () => {
    const keyPair = p256KeyWhose("y");
    const authenticator = new SoftwareAuthenticator(rp);
    const { userId, credentialId } = await userWithPasskey(authenticator, "Phone", { keyPair });
    const whole = sec1Uncompressed(keyPair.publicKey);
    // What @oslojs/crypto's encodeSEC1Uncompressed wrote: y's significant bytes at the start of its field.
    const misencoded = new Uint8Array(65);
    misencoded.set(whole.subarray(0, 33));
    misencoded.set(whole.subarray(34), 33);
    await db.update(passkeyCredentials).set({ publicKey: encodeBase64urlNoPadding(misencoded) }).where(eq(passkeyCredentials.credentialId, credentialId));

    expect((await signIn(authenticator, credentialId)).user.id).toBe(userId);
    expect(await storedPublicKey(credentialId)).toEqual(whole);
    expect((await signIn(authenticator, credentialId)).user.id).toBe(userId);
  });

  it("renames and removes only the account's own passkeys", async () => {
    const authenticator = new SoftwareAuthenticator(rp);
    const alice = await userWithPasskey(authenticator);
    const bob = await userWithPasskey(authenticator);
    await expect(renamePasskey(db, bob.userId, alice.passkey.id, "Bob's now")).rejects.toMatchObject({ kind: "not_found", message: NO_SUCH_PASSKEY_MESSAGE });
    await expect(removePasskey(db, bob.userId, alice.passkey.id)).rejects.toMatchObject({ kind: "not_found", message: NO_SUCH_PASSKEY_MESSAGE });
    await renamePasskey(db, alice.userId, alice.passkey.id, "Old laptop");
    expect(await removePasskey(db, alice.userId, alice.passkey.id)).toEqual({ name: "Old laptop", twoFactorOff: true });
    expect(await listPasskeys(db, alice.userId)).toEqual([]);
    await expectRefusal(signIn(authenticator, alice.credentialId), PASSKEY_UNKNOWN_MESSAGE);
  });

  it("stores challenges as hashes; the purges job deletes the expired ones and keeps the live", async () => {
    const issuedAt = new Date(Date.now() - 2 * CHALLENGE_LIFETIME_MS);
    const stale = await createWebAuthnChallenge(db, "sign_in", null, issuedAt);
    const fresh = await createWebAuthnChallenge(db, "sign_in", null);
    const storedId = (challenge: string) => encodeHexLowerCase(sha256(decodeBase64urlIgnorePadding(challenge)));
    const stored = async () => (await db.select({ id: webauthnChallenges.id }).from(webauthnChallenges)).map((row) => row.id);
    expect(await stored()).toEqual(expect.arrayContaining([storedId(stale), storedId(fresh)]));
    expect(await purgeExpiredWebAuthnChallenges(db)).toBeGreaterThanOrEqual(1);
    expect(await stored()).toContain(storedId(fresh));
    expect(await stored()).not.toContain(storedId(stale));
  });
});
