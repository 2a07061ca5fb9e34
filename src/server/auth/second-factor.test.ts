import { randomUUID } from "node:crypto";
import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { passkeyCredentials, recoveryCodes, totpCredentials, users } from "~/server/db/schema";
import { createTestDatabase, engines, type TestDatabase } from "~/test/db";
import { removePasskey } from "./passkeys";
import { consumePendingSignIn, createPendingSignIn, findPendingSignIn, PENDING_SIGN_IN_MINUTES } from "./pending-sign-in";
import { SECOND_FACTOR_ATTEMPT_RULE } from "./rate-limit";
import {
  beginTotpSetup,
  countRecoveryCodesLeft,
  disableTotp,
  enableTotp,
  hasAuthenticatorApp,
  hasSecondFactor,
  recoveryCodesForNewFactor,
  regenerateRecoveryCodes,
  secondFactorMethods,
  useRecoveryCode,
  verifyTotpCode,
} from "./second-factor";
import { decryptTotpKey, encryptTotpKey } from "./totp-key-encryption";
import { totpCodeAt, totpStep, TOTP_PERIOD_SECONDS } from "./totp";

const STEP_MS = TOTP_PERIOD_SECONDS * 1000;

describe.each(engines)("second factor on %s", (engine) => {
  let testDb: TestDatabase;

  beforeAll(async () => {
    testDb = await createTestDatabase(engine);
  });
  afterAll(async () => {
    await testDb.close();
  });

  let counter = 0;
  async function newUser(): Promise<{ id: string; email: string }> {
    counter += 1;
    const [user] = await testDb.db
      .insert(users)
      .values({ email: `second-factor-${counter}-${Date.now()}@example.test`, firstname: "Ada", surname: "Lovelace", passwordHash: "not a hash" })
      .returning({ id: users.id, email: users.email });
    if (!user) throw new Error("no user");
    return user;
  }

  /** A person with the authenticator app on (enabled at `at`), the key their app holds, and their recovery codes. */
  async function withTotp(at: Date = new Date()) {
    const user = await newUser();
    const { setupKey } = await beginTotpSetup(testDb.db, user);
    const key = decodeBase32IgnorePadding(setupKey.replaceAll(" ", ""));
    const enabled = await enableTotp(testDb.db, user.id, totpCodeAt(key, totpStep(at)), at);
    if (!enabled.ok) throw new Error(`enable failed: ${enabled.reason}`);
    if (!enabled.recoveryCodes) throw new Error("the first factor brought no recovery codes");
    return { user, key, recoveryCodes: enabled.recoveryCodes };
  }

  it("stores the key encrypted: the column holds neither the setup key nor the key's bytes, and only this server's key for this person reads it", async () => {
    const user = await newUser();
    const { setupKey, keyUri } = await beginTotpSetup(testDb.db, user);
    const base32 = setupKey.replaceAll(" ", "");
    expect(base32).toMatch(/^[A-Z2-7]{32}$/);
    expect(keyUri).toContain(`secret=${base32}`);
    const [row] = await testDb.db.select().from(totpCredentials).where(eq(totpCredentials.userId, user.id));
    if (!row) throw new Error("no row");
    const key = decodeBase32IgnorePadding(base32);
    expect(row.encryptedKey.toUpperCase()).not.toContain(base32);
    expect(row.encryptedKey).not.toContain(Buffer.from(key).toString("hex"));
    expect(row.encryptedKey).not.toContain(Buffer.from(key).toString("base64").slice(0, 20));
    expect(decryptTotpKey(row.encryptedKey, user.id)).toEqual(key);
    // Copied onto another person's row, or altered, it decrypts to nothing.
    expect(decryptTotpKey(row.encryptedKey, (await newUser()).id)).toBeNull();
    const tampered = `v1:${Buffer.from(Buffer.from(row.encryptedKey.slice(3), "base64").map((byte, index) => (index === 14 ? byte ^ 1 : byte))).toString("base64")}`;
    expect(decryptTotpKey(tampered, user.id)).toBeNull();
    // Two encryptions of one key differ (a fresh IV each time).
    expect(encryptTotpKey(key, user.id)).not.toBe(encryptTotpKey(key, user.id));
  });

  it("turns the app on only with a right first code, and then issues ten recovery codes", async () => {
    const user = await newUser();
    const now = new Date();
    const { setupKey } = await beginTotpSetup(testDb.db, user);
    const key = decodeBase32IgnorePadding(setupKey.replaceAll(" ", ""));
    const wrong = totpCodeAt(key, totpStep(now) + 5);
    expect(await enableTotp(testDb.db, user.id, wrong, now)).toEqual({ ok: false, reason: "wrong_code" });
    expect(await hasSecondFactor(testDb.db, user.id)).toBe(false);
    const enabled = await enableTotp(testDb.db, user.id, totpCodeAt(key, totpStep(now)), now);
    expect(enabled.ok && enabled.recoveryCodes).toHaveLength(10);
    expect(await hasSecondFactor(testDb.db, user.id)).toBe(true);
    // The code that enabled it is spent.
    expect(await verifyTotpCode(testDb.db, user.id, totpCodeAt(key, totpStep(now)), now)).toEqual({ ok: false, reason: "wrong_code" });
    await expect(beginTotpSetup(testDb.db, user)).rejects.toThrow(/already on/);
  });

  it("accepts each code once, one step of drift either way, and never a step older than the last one accepted", async () => {
    const enabledAt = new Date(Date.now() - 10 * STEP_MS);
    const { user, key } = await withTotp(enabledAt);
    const now = new Date();
    const step = totpStep(now);
    expect(await verifyTotpCode(testDb.db, user.id, totpCodeAt(key, step - 2), now)).toEqual({ ok: false, reason: "wrong_code" });
    expect(await verifyTotpCode(testDb.db, user.id, totpCodeAt(key, step + 2), now)).toEqual({ ok: false, reason: "wrong_code" });
    expect(await verifyTotpCode(testDb.db, user.id, totpCodeAt(key, step - 1), now)).toEqual({ ok: true });
    // Replayed inside its window: refused.
    expect(await verifyTotpCode(testDb.db, user.id, totpCodeAt(key, step - 1), now)).toEqual({ ok: false, reason: "wrong_code" });
    expect(await verifyTotpCode(testDb.db, user.id, totpCodeAt(key, step + 1), now)).toEqual({ ok: true });
    // Once step+1 was used, the current step's code is older: refused too.
    expect(await verifyTotpCode(testDb.db, user.id, totpCodeAt(key, step), now)).toEqual({ ok: false, reason: "wrong_code" });
  });

  it("lets only one of two concurrent uses of a code through", async () => {
    const { user, key } = await withTotp(new Date(Date.now() - 10 * STEP_MS));
    const now = new Date();
    const code = totpCodeAt(key, totpStep(now));
    const results = await Promise.all([verifyTotpCode(testDb.db, user.id, code, now), verifyTotpCode(testDb.db, user.id, code, now)]);
    expect(results.filter((result) => result.ok)).toHaveLength(1);
  });

  it("refuses a code from another account's key", async () => {
    const victim = await withTotp(new Date(Date.now() - 10 * STEP_MS));
    const attacker = await withTotp(new Date(Date.now() - 10 * STEP_MS));
    const now = new Date();
    const attackersCode = totpCodeAt(attacker.key, totpStep(now));
    if (attackersCode === totpCodeAt(victim.key, totpStep(now))) return; // one chance in a million
    expect(await verifyTotpCode(testDb.db, victim.user.id, attackersCode, now)).toEqual({ ok: false, reason: "wrong_code" });
    expect(await verifyTotpCode(testDb.db, attacker.user.id, attackersCode, now)).toEqual({ ok: true });
  });

  it("allows five attempts per 15 minutes per account, then refuses even a right code until the window ends", async () => {
    const { user, key, recoveryCodes: codes } = await withTotp(new Date(Date.now() - 10 * STEP_MS));
    const start = new Date();
    for (let attempt = 0; attempt < SECOND_FACTOR_ATTEMPT_RULE.limit; attempt++) {
      expect(await verifyTotpCode(testDb.db, user.id, "000000", start)).toMatchObject({ ok: false, reason: "wrong_code" });
    }
    const later = new Date(start.getTime() + 60_000);
    expect(await verifyTotpCode(testDb.db, user.id, totpCodeAt(key, totpStep(later)), later)).toEqual({
      ok: false,
      reason: "too_many_attempts",
      retryAfterSeconds: 14 * 60,
    });
    expect(await useRecoveryCode(testDb.db, user.id, codes[0] ?? "", later)).toMatchObject({ reason: "too_many_attempts" });
    const afterWindow = new Date(start.getTime() + SECOND_FACTOR_ATTEMPT_RULE.windowMs);
    expect(await verifyTotpCode(testDb.db, user.id, totpCodeAt(key, totpStep(afterWindow)), afterWindow)).toEqual({ ok: true });
  });

  it("a success starts the count afresh", async () => {
    const { user, key } = await withTotp(new Date(Date.now() - 10 * STEP_MS));
    const now = new Date();
    for (let attempt = 0; attempt < SECOND_FACTOR_ATTEMPT_RULE.limit - 1; attempt++) await verifyTotpCode(testDb.db, user.id, "000000", now);
    expect(await verifyTotpCode(testDb.db, user.id, totpCodeAt(key, totpStep(now)), now)).toEqual({ ok: true });
    for (let attempt = 0; attempt < SECOND_FACTOR_ATTEMPT_RULE.limit; attempt++) {
      expect(await verifyTotpCode(testDb.db, user.id, "000000", now)).toMatchObject({ reason: "wrong_code" });
    }
  });

  it("takes each recovery code once, whatever its case and dashes, and says how many are left", async () => {
    const { user, recoveryCodes: codes } = await withTotp();
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^[a-z2-7]{4}(-[a-z2-7]{4}){3}$/);
    const [first = "", second = ""] = codes;
    const stored = await testDb.db.select({ codeHash: recoveryCodes.codeHash }).from(recoveryCodes).where(eq(recoveryCodes.userId, user.id));
    expect(stored.map((row) => row.codeHash).join()).not.toContain(first.replaceAll("-", ""));
    expect(await useRecoveryCode(testDb.db, user.id, first)).toEqual({ ok: true, left: 9 });
    expect(await useRecoveryCode(testDb.db, user.id, first)).toEqual({ ok: false, reason: "wrong_code" });
    expect(await useRecoveryCode(testDb.db, user.id, ` ${second.toUpperCase().replaceAll("-", " ")} `)).toEqual({ ok: true, left: 8 });
    const other = await withTotp();
    expect(await useRecoveryCode(testDb.db, other.user.id, codes[2] ?? "")).toEqual({ ok: false, reason: "wrong_code" });
  });

  it("regenerating replaces every earlier code; turning the app off removes it and the codes", async () => {
    const { user, key, recoveryCodes: old } = await withTotp(new Date(Date.now() - 10 * STEP_MS));
    const fresh = await regenerateRecoveryCodes(testDb.db, user.id);
    expect(await useRecoveryCode(testDb.db, user.id, old[0] ?? "")).toEqual({ ok: false, reason: "wrong_code" });
    expect(await countRecoveryCodesLeft(testDb.db, user.id)).toBe(10);
    expect(await disableTotp(testDb.db, user.id)).toEqual({ disabled: true, twoFactorOff: true });
    expect(await hasSecondFactor(testDb.db, user.id)).toBe(false);
    expect(await countRecoveryCodesLeft(testDb.db, user.id)).toBe(0);
    expect(await useRecoveryCode(testDb.db, user.id, fresh[0] ?? "")).toEqual({ ok: false, reason: "wrong_code" });
    expect(await verifyTotpCode(testDb.db, user.id, totpCodeAt(key, totpStep(new Date())))).toEqual({ ok: false, reason: "wrong_code" });
    expect(await disableTotp(testDb.db, user.id)).toEqual({ disabled: false, twoFactorOff: true });
  });

  /** A passkey row for `userId` (its key is never used here: these tests are about which factors an account has). */
  async function addPasskeyRow(userId: string): Promise<string> {
    const [row] = await testDb.db
      .insert(passkeyCredentials)
      .values({ userId, credentialId: randomUUID(), algorithm: -7, publicKey: "AA", signCount: 0, name: "Laptop" })
      .returning({ id: passkeyCredentials.id });
    if (!row) throw new Error("no passkey");
    return row.id;
  }

  it("counts a passkey as a second factor, apart from the authenticator app", async () => {
    const user = await newUser();
    const passkeyId = await addPasskeyRow(user.id);
    expect(await hasSecondFactor(testDb.db, user.id)).toBe(true);
    expect(await hasAuthenticatorApp(testDb.db, user.id)).toBe(false);
    expect(await secondFactorMethods(testDb.db, user.id)).toEqual({ authenticatorApp: false, passkeys: 1 });
    // A passkey does not stand in the way of setting an app up beside it.
    const { setupKey } = await beginTotpSetup(testDb.db, user);
    expect(setupKey).toBeTruthy();
    expect(await removePasskey(testDb.db, user.id, passkeyId)).toEqual({ name: "Laptop", twoFactorOff: true });
    expect(await hasSecondFactor(testDb.db, user.id)).toBe(false);
  });

  it("issues recovery codes with the first factor only: an app beside a passkey keeps the saved codes, which outlive either factor until the last goes", async () => {
    const user = await newUser();
    // The first factor is a passkey: it brings the codes (the router asks before adding it).
    const firstPasskey = await addPasskeyRow(user.id);
    const codes = await recoveryCodesForNewFactor(testDb.db, user.id, false);
    expect(codes).toHaveLength(10);
    // A second passkey, or the app, brings none: the saved set stays good.
    const secondPasskey = await addPasskeyRow(user.id);
    expect(await recoveryCodesForNewFactor(testDb.db, user.id, true)).toBeNull();
    const now = new Date(Date.now() - 10 * STEP_MS);
    const { setupKey } = await beginTotpSetup(testDb.db, user);
    const key = decodeBase32IgnorePadding(setupKey.replaceAll(" ", ""));
    expect(await enableTotp(testDb.db, user.id, totpCodeAt(key, totpStep(now)), now)).toEqual({ ok: true, recoveryCodes: null });
    expect(await useRecoveryCode(testDb.db, user.id, codes?.[0] ?? "")).toEqual({ ok: true, left: 9 });

    // Turning the app off leaves the passkeys, and the codes with them; removing the last passkey takes the codes.
    expect(await disableTotp(testDb.db, user.id)).toEqual({ disabled: true, twoFactorOff: false });
    expect(await countRecoveryCodesLeft(testDb.db, user.id)).toBe(9);
    expect(await removePasskey(testDb.db, user.id, firstPasskey)).toEqual({ name: "Laptop", twoFactorOff: false });
    expect(await countRecoveryCodesLeft(testDb.db, user.id)).toBe(9);
    expect(await removePasskey(testDb.db, user.id, secondPasskey)).toEqual({ name: "Laptop", twoFactorOff: true });
    expect(await countRecoveryCodesLeft(testDb.db, user.id)).toBe(0);
    expect(await useRecoveryCode(testDb.db, user.id, codes?.[1] ?? "")).toEqual({ ok: false, reason: "wrong_code" });
  });

  it("gives an account whose passkeys predate recovery codes its first set with the next factor", async () => {
    const user = await newUser();
    await addPasskeyRow(user.id);
    expect(await countRecoveryCodesLeft(testDb.db, user.id)).toBe(0);
    await addPasskeyRow(user.id);
    expect(await recoveryCodesForNewFactor(testDb.db, user.id, true)).toHaveLength(10);
  });

  it("holds a pending sign-in for its account only, once, for a few minutes", async () => {
    const user = await newUser();
    const other = await newUser();
    const now = new Date();
    const token = await createPendingSignIn(testDb.db, user.id, "/oauth/authorize?client_id=x", now);
    expect(await findPendingSignIn(testDb.db, token, now)).toEqual({ userId: user.id, next: "/oauth/authorize?client_id=x" });
    expect(await consumePendingSignIn(testDb.db, token, other.id, now)).toBeNull();
    expect(await consumePendingSignIn(testDb.db, token, user.id, now)).toEqual({ userId: user.id, next: "/oauth/authorize?client_id=x" });
    expect(await consumePendingSignIn(testDb.db, token, user.id, now)).toBeNull();
    const expiring = await createPendingSignIn(testDb.db, user.id, "/dashboard/tokens", now);
    const afterExpiry = new Date(now.getTime() + PENDING_SIGN_IN_MINUTES * 60_000);
    expect(await findPendingSignIn(testDb.db, expiring, afterExpiry)).toBeNull();
    expect(await consumePendingSignIn(testDb.db, expiring, user.id, afterExpiry)).toBeNull();
  });
});
