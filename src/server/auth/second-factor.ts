import { and, count, eq, isNotNull, isNull, or, sql } from "drizzle-orm";
import type { Database, DatabaseOrTransaction } from "~/server/db/client";
import { passkeyCredentials, recoveryCodes, totpCredentials } from "~/server/db/schema";
import { DomainError } from "~/server/domain-error";
import { consumeRateLimit, resetRateLimit, secondFactorAttemptKey, SECOND_FACTOR_ATTEMPT_RULE } from "./rate-limit";
import { generateRecoveryCode, hashRecoveryCode, looksLikeRecoveryCode, RECOVERY_CODE_COUNT } from "./recovery-codes";
import { decryptTotpKey, encryptTotpKey } from "./totp-key-encryption";
import { formatSetupKey, generateTotpKey, matchTotpStep, normalizeTotpCode, totpKeyUri } from "./totp";

// A person's second factors: an authenticator app (TOTP), passkeys (passkeys.ts), and the recovery codes that stand
// in for either. With one on, a right password no longer signs in by itself (the two-factor step, pending-sign-in.ts).

/** Whether the authenticator app is on (not merely being set up). */
export async function hasAuthenticatorApp(db: DatabaseOrTransaction, userId: string): Promise<boolean> {
  const [row] = await db
    .select({ userId: totpCredentials.userId })
    .from(totpCredentials)
    .where(and(eq(totpCredentials.userId, userId), isNotNull(totpCredentials.enabledAt)));
  return Boolean(row);
}

/** Whether signing in as `userId` needs a second factor after the password: an authenticator app on, or a passkey. */
export async function hasSecondFactor(db: DatabaseOrTransaction, userId: string): Promise<boolean> {
  const [passkey] = await db.select({ id: passkeyCredentials.id }).from(passkeyCredentials).where(eq(passkeyCredentials.userId, userId)).limit(1);
  return passkey ? true : hasAuthenticatorApp(db, userId);
}

/** The second factors the two-factor step can offer this account. */
export interface SecondFactorMethods {
  authenticatorApp: boolean;
  passkeys: number;
}

export async function secondFactorMethods(db: DatabaseOrTransaction, userId: string): Promise<SecondFactorMethods> {
  const [passkeys] = await db.select({ count: count() }).from(passkeyCredentials).where(eq(passkeyCredentials.userId, userId));
  return { authenticatorApp: await hasAuthenticatorApp(db, userId), passkeys: passkeys?.count ?? 0 };
}

export interface SecondFactorStatus {
  /** When the authenticator app was turned on; null when it is off. */
  totpEnabledAt: Date | null;
  passkeys: number;
  recoveryCodesLeft: number;
}

export async function secondFactorStatus(db: Database, userId: string): Promise<SecondFactorStatus> {
  const [totp] = await db.select({ enabledAt: totpCredentials.enabledAt }).from(totpCredentials).where(eq(totpCredentials.userId, userId));
  const { passkeys } = await secondFactorMethods(db, userId);
  return { totpEnabledAt: totp?.enabledAt ?? null, passkeys, recoveryCodesLeft: await countRecoveryCodesLeft(db, userId) };
}

export const TOTP_ALREADY_ENABLED_MESSAGE = "An authenticator app is already on. Turn it off first to set up another.";
export const WRONG_CODE_MESSAGE = "That code is not right, or was already used. Enter the code your app shows now.";
export const NO_SETUP_MESSAGE = "Start again with Set up authenticator app: this setup is no longer open.";
export const WRONG_RECOVERY_CODE_MESSAGE = "That recovery code is not right, or was already used.";

/**
 * Starts setting up an authenticator app: a new key, stored encrypted and not yet on, replacing any setup left
 * unfinished. Returns what the person needs to add it to their app: the otpauth URI (for the QR code) and the key
 * as text. Nobody else ever sees the key: it is not logged and not stored in the clear.
 */
export async function beginTotpSetup(db: Database, user: { id: string; email: string }): Promise<{ keyUri: string; setupKey: string }> {
  if (await hasAuthenticatorApp(db, user.id)) throw new DomainError("conflict", TOTP_ALREADY_ENABLED_MESSAGE);
  const key = generateTotpKey();
  const encryptedKey = encryptTotpKey(key, user.id);
  const [row] = await db
    .insert(totpCredentials)
    .values({ userId: user.id, encryptedKey })
    .onConflictDoUpdate({ target: totpCredentials.userId, set: { encryptedKey, lastUsedStep: null, createdAt: new Date() }, where: isNull(totpCredentials.enabledAt) })
    .returning({ userId: totpCredentials.userId });
  // A concurrent Enable won the race: the app that was just turned on stays.
  if (!row) throw new DomainError("conflict", TOTP_ALREADY_ENABLED_MESSAGE);
  return { keyUri: totpKeyUri(key, user.email), setupKey: formatSetupKey(key) };
}

export type CodeRefusal = { ok: false; reason: "wrong_code" } | { ok: false; reason: "too_many_attempts"; retryAfterSeconds: number };
export type CodeCheck = { ok: true } | CodeRefusal;

/** Counts one second-factor attempt for the account (5 per 15 minutes, on every instance), before any check. */
async function countAttempt(db: Database, userId: string, now: Date): Promise<CodeRefusal | null> {
  const limit = await consumeRateLimit(db, secondFactorAttemptKey(userId), SECOND_FACTOR_ATTEMPT_RULE, now);
  return limit.allowed ? null : { ok: false, reason: "too_many_attempts", retryAfterSeconds: limit.retryAfterSeconds };
}

/**
 * Checks a code from the authenticator app, on or being set up (`phase`). A code is accepted once: the step it
 * belongs to is recorded in the same statement that accepts it, so a replay, even a concurrent one, finds it
 * taken. One step of drift either way; attempts limited per account.
 */
async function checkTotpCode(db: Database, userId: string, input: string, phase: "enabled" | "setup", now: Date): Promise<CodeCheck> {
  const refused = await countAttempt(db, userId, now);
  if (refused) return refused;
  const [row] = await db
    .select({ encryptedKey: totpCredentials.encryptedKey, lastUsedStep: totpCredentials.lastUsedStep })
    .from(totpCredentials)
    .where(and(eq(totpCredentials.userId, userId), phase === "enabled" ? isNotNull(totpCredentials.enabledAt) : isNull(totpCredentials.enabledAt)));
  if (!row) return { ok: false, reason: "wrong_code" };
  const key = decryptTotpKey(row.encryptedKey, userId);
  const step = key ? matchTotpStep(key, normalizeTotpCode(input), now, row.lastUsedStep) : null;
  if (step === null) return { ok: false, reason: "wrong_code" };
  const [accepted] = await db
    .update(totpCredentials)
    .set({ lastUsedStep: step, ...(phase === "setup" ? { enabledAt: now } : {}) })
    .where(
      and(
        eq(totpCredentials.userId, userId),
        eq(totpCredentials.encryptedKey, row.encryptedKey),
        or(isNull(totpCredentials.lastUsedStep), sql`${totpCredentials.lastUsedStep} < ${step}`),
      ),
    )
    .returning({ userId: totpCredentials.userId });
  if (!accepted) return { ok: false, reason: "wrong_code" };
  await resetRateLimit(db, secondFactorAttemptKey(userId));
  return { ok: true };
}

/** The two-factor step of signing in, with a code from the app. */
export async function verifyTotpCode(db: Database, userId: string, code: string, now: Date = new Date()): Promise<CodeCheck> {
  return checkTotpCode(db, userId, code, "enabled", now);
}

/**
 * Turns the app being set up on with its first code. As the account's first second factor, it brings the first ten
 * recovery codes (returned once, in the clear; only their hashes are kept); beside a passkey, the codes the person
 * already saved stay good, and `recoveryCodes` is null.
 */
export async function enableTotp(
  db: Database,
  userId: string,
  code: string,
  now: Date = new Date(),
): Promise<{ ok: true; recoveryCodes: string[] | null } | CodeRefusal> {
  if (await hasAuthenticatorApp(db, userId)) throw new DomainError("conflict", TOTP_ALREADY_ENABLED_MESSAGE);
  const [setup] = await db.select({ userId: totpCredentials.userId }).from(totpCredentials).where(eq(totpCredentials.userId, userId));
  if (!setup) throw new DomainError("invalid", NO_SETUP_MESSAGE);
  const hadSecondFactor = await hasSecondFactor(db, userId);
  const check = await checkTotpCode(db, userId, code, "setup", now);
  if (!check.ok) return check;
  return { ok: true, recoveryCodes: await recoveryCodesForNewFactor(db, userId, hadSecondFactor) };
}

/**
 * The recovery codes a newly added factor brings: a first set when it is the account's first second factor (or the
 * account has none, as one whose passkeys predate recovery codes); null when the person has a set already.
 */
export async function recoveryCodesForNewFactor(db: Database, userId: string, hadSecondFactor: boolean): Promise<string[] | null> {
  const [issued] = await db.select({ id: recoveryCodes.id }).from(recoveryCodes).where(eq(recoveryCodes.userId, userId)).limit(1);
  return hadSecondFactor && issued ? null : regenerateRecoveryCodes(db, userId);
}

/** With no second factor left, the recovery codes go too: they would stand in for nothing. */
export async function deleteRecoveryCodesIfNoFactorLeft(tx: DatabaseOrTransaction, userId: string): Promise<boolean> {
  if (await hasSecondFactor(tx, userId)) return false;
  await tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId));
  return true;
}

/**
 * Turns the authenticator app off (and ends an unfinished setup). With no second factor left (no passkey either),
 * the recovery codes go too. Says whether an app was on, and whether it was the last factor.
 */
export async function disableTotp(db: Database, userId: string): Promise<{ disabled: boolean; twoFactorOff: boolean }> {
  return db.transaction(async (tx) => {
    const removed = await tx.delete(totpCredentials).where(eq(totpCredentials.userId, userId)).returning({ enabledAt: totpCredentials.enabledAt });
    const twoFactorOff = await deleteRecoveryCodesIfNoFactorLeft(tx, userId);
    return { disabled: Boolean(removed[0]?.enabledAt), twoFactorOff };
  });
}

/** A new set of ten recovery codes, replacing every earlier one, used or not. Returned once, in the clear. */
export async function regenerateRecoveryCodes(db: Database, userId: string): Promise<string[]> {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, generateRecoveryCode);
  await db.transaction(async (tx) => {
    await tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId));
    await tx.insert(recoveryCodes).values(codes.map((code) => ({ userId, codeHash: hashRecoveryCode(code) })));
  });
  return codes;
}

export async function countRecoveryCodesLeft(db: DatabaseOrTransaction, userId: string): Promise<number> {
  const [row] = await db
    .select({ left: count() })
    .from(recoveryCodes)
    .where(and(eq(recoveryCodes.userId, userId), isNull(recoveryCodes.usedAt)));
  return row?.left ?? 0;
}

/**
 * The two-factor step with a recovery code instead of the app: each code works once (marked used in the statement
 * that accepts it), counted against the same attempt limit. Says how many are left.
 */
export async function useRecoveryCode(
  db: Database,
  userId: string,
  input: string,
  now: Date = new Date(),
): Promise<{ ok: true; left: number } | CodeRefusal> {
  const refused = await countAttempt(db, userId, now);
  if (refused) return refused;
  if (!looksLikeRecoveryCode(input) || !(await hasSecondFactor(db, userId))) return { ok: false, reason: "wrong_code" };
  const [used] = await db
    .update(recoveryCodes)
    .set({ usedAt: now })
    .where(and(eq(recoveryCodes.userId, userId), eq(recoveryCodes.codeHash, hashRecoveryCode(input)), isNull(recoveryCodes.usedAt)))
    .returning({ id: recoveryCodes.id });
  if (!used) return { ok: false, reason: "wrong_code" };
  await resetRateLimit(db, secondFactorAttemptKey(userId));
  return { ok: true, left: await countRecoveryCodesLeft(db, userId) };
}

