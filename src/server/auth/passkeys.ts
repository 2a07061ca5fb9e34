import { sha256 } from "@oslojs/crypto/sha2";
import { decodeBase64urlIgnorePadding, encodeBase64urlNoPadding, encodeHexLowerCase } from "@oslojs/encoding";
import { and, asc, count, eq, gt, isNull, or, sql } from "drizzle-orm";
import { z } from "zod";
import { env } from "~/env";
import type { Database } from "~/server/db/client";
import { deleteBatch, purgeInBatches, type PurgeOptions } from "~/server/db/purge";
import { passkeyCredentials, users, webauthnChallenges } from "~/server/db/schema";
import { DomainError } from "~/server/domain-error";
import { log } from "~/server/observability/logger";
import { lineOfText } from "~/server/text";
import { deleteRecoveryCodesIfNoFactorLeft } from "./second-factor";
import type { SessionUser } from "./session";
import {
  isCounterAcceptable,
  readClientData,
  relyingPartyFor,
  verifyAssertion,
  verifyRegistration,
  WebAuthnVerificationError,
  type RelyingParty,
} from "./webauthn";

// Passkeys: adding, listing, renaming and removing them, and checking an assertion for a sign-in (instead of the
// password), a second step after the password, or a fresh proof while signed in. Every check of a browser's
// response spends its challenge first, so a response is good at most once, whatever else is wrong with it.

export type WebAuthnChallengePurpose = (typeof webauthnChallenges.$inferSelect)["purpose"];

export const CHALLENGE_LIFETIME_MS = 5 * 60_000;
export const PASSKEY_NAME_MAX_LENGTH = 64;
export const PASSKEYS_PER_ACCOUNT = 10;

export const CHALLENGE_SPENT_MESSAGE = "This passkey request expired or was already used. Try again.";
export const PASSKEY_NOT_VERIFIED_MESSAGE = "This passkey could not be verified. Try again, or sign in another way.";
export const NO_SUCH_PASSKEY_MESSAGE = "This passkey was already removed.";
export const PASSKEY_UNKNOWN_MESSAGE = "This passkey is not registered with Carestral. Sign in another way, or use a passkey you added in Settings.";
export const PASSKEY_OF_ANOTHER_ACCOUNT_MESSAGE = "This passkey belongs to another account.";
export const PASSKEY_COUNTER_MESSAGE =
  "This passkey’s signature counter went backwards, a sign that it may have been copied. Sign in another way and remove it in Settings.";
export const PASSKEY_ALREADY_ADDED_MESSAGE = "This passkey is already added to an account.";

export const passkeyNameSchema = lineOfText("A passkey name can only use printable characters.")
  .min(1, { error: "Give the passkey a name." })
  .refine((name) => [...name].length <= PASSKEY_NAME_MAX_LENGTH, `Use at most ${PASSKEY_NAME_MAX_LENGTH} characters.`);

// What the browser sends, base64url without padding. Bounded generously above real responses (a credential id has
// at most 1023 bytes, an RS256 signature 512), so that nothing larger is ever decoded.
const base64url = (max: number) => z.string().min(1).max(max).regex(/^[A-Za-z0-9_-]+$/, { error: "This passkey response is malformed." });

export const registrationResponseSchema = z.object({
  clientDataJSON: base64url(4096),
  attestationObject: base64url(32_768),
});
export type RegistrationResponse = z.infer<typeof registrationResponseSchema>;

export const assertionResponseSchema = z.object({
  credentialId: base64url(1400),
  clientDataJSON: base64url(4096),
  authenticatorData: base64url(4096),
  signature: base64url(1024),
  userHandle: base64url(128).nullable(),
});
export type AssertionResponse = z.infer<typeof assertionResponseSchema>;

/** The relying party this deployment is: APP_URL's host and origin. */
export function appRelyingParty(): RelyingParty {
  return relyingPartyFor(env.APP_URL);
}

/** The WebAuthn user handle of an account: its id's UTF-8 bytes (opaque, no personal data, under 64 bytes). */
export function passkeyUserHandle(userId: string): Uint8Array {
  return new TextEncoder().encode(userId);
}

function challengeId(challenge: Uint8Array): string {
  return encodeHexLowerCase(sha256(challenge));
}

/**
 * A new challenge for `purpose`, bound to `userId` (null for a sign-in, whose passkey names the account).
 * Returned base64url-encoded for the browser; only its SHA-256 is stored.
 */
export async function createWebAuthnChallenge(db: Database, purpose: WebAuthnChallengePurpose, userId: string | null, now: Date = new Date()): Promise<string> {
  const challenge = new Uint8Array(32);
  crypto.getRandomValues(challenge);
  await db.insert(webauthnChallenges).values({
    id: challengeId(challenge),
    purpose,
    userId,
    expiresAt: new Date(now.getTime() + CHALLENGE_LIFETIME_MS),
    createdAt: now,
  });
  return encodeBase64urlNoPadding(challenge);
}

/** Spends a challenge: true once, for the purpose and account it was made for, before it expires. One atomic delete. */
async function consumeWebAuthnChallenge(db: Database, challenge: Uint8Array, purpose: WebAuthnChallengePurpose, userId: string | null, now: Date): Promise<boolean> {
  const deleted = await db
    .delete(webauthnChallenges)
    .where(
      and(
        eq(webauthnChallenges.id, challengeId(challenge)),
        eq(webauthnChallenges.purpose, purpose),
        userId === null ? isNull(webauthnChallenges.userId) : eq(webauthnChallenges.userId, userId),
        gt(webauthnChallenges.expiresAt, now),
      ),
    )
    .returning({ id: webauthnChallenges.id });
  return deleted.length > 0;
}

/** Challenges past their five minutes (never answered; answered ones are gone already): the purges job. */
export async function purgeExpiredWebAuthnChallenges(db: Database, options: PurgeOptions = {}): Promise<number> {
  const expired = sql`${webauthnChallenges.expiresAt} < now()`;
  return purgeInBatches((batchSize) => deleteBatch(db, webauthnChallenges, webauthnChallenges.id, expired, batchSize), options);
}

function decode(value: string): Uint8Array {
  try {
    return decodeBase64urlIgnorePadding(value);
  } catch {
    throw new DomainError("invalid", "This passkey response is malformed.");
  }
}

export interface PasskeySummary {
  id: string;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

const summaryColumns = {
  id: passkeyCredentials.id,
  name: passkeyCredentials.name,
  createdAt: passkeyCredentials.createdAt,
  lastUsedAt: passkeyCredentials.lastUsedAt,
};

/** The account's passkeys, oldest first. */
export async function listPasskeys(db: Database, userId: string): Promise<PasskeySummary[]> {
  return db.select(summaryColumns).from(passkeyCredentials).where(eq(passkeyCredentials.userId, userId)).orderBy(asc(passkeyCredentials.createdAt), asc(passkeyCredentials.id));
}

export async function countPasskeys(db: Database, userId: string): Promise<number> {
  const [row] = await db.select({ count: count() }).from(passkeyCredentials).where(eq(passkeyCredentials.userId, userId));
  return row?.count ?? 0;
}

/** Refuses a new passkey for an account that has as many as it may have. */
export async function ensureRoomForPasskey(db: Database, userId: string): Promise<void> {
  if ((await countPasskeys(db, userId)) >= PASSKEYS_PER_ACCOUNT) {
    throw new DomainError("conflict", `An account can have at most ${PASSKEYS_PER_ACCOUNT} passkeys. Remove one first.`);
  }
}

/** The account's credential ids (base64url), for the browser: not to create a second passkey on the same authenticator, or to pick one. */
export async function listPasskeyCredentialIds(db: Database, userId: string): Promise<string[]> {
  const rows = await db.select({ credentialId: passkeyCredentials.credentialId }).from(passkeyCredentials).where(eq(passkeyCredentials.userId, userId));
  return rows.map((row) => row.credentialId);
}

/**
 * Adds the passkey the browser just created (navigator.credentials.create with a registration challenge of this
 * account), under `name`. Refused with a DomainError: a spent, expired or foreign challenge, a response that fails
 * §7.1, a passkey already registered (here or on another account), or an account at its limit.
 */
export async function addPasskey(
  db: Database,
  input: { userId: string; name: string; response: RegistrationResponse },
  rp: RelyingParty = appRelyingParty(),
  now: Date = new Date(),
): Promise<PasskeySummary> {
  const clientDataJSON = decode(input.response.clientDataJSON);
  const attestationObject = decode(input.response.attestationObject);
  const clientData = readRefusingMalformed(clientDataJSON);
  if (!(await consumeWebAuthnChallenge(db, clientData.challenge, "registration", input.userId, now))) {
    throw new DomainError("invalid", CHALLENGE_SPENT_MESSAGE);
  }
  let verified;
  try {
    verified = verifyRegistration(rp, { clientData, attestationObject });
  } catch (error) {
    throw refusal(error, "registration");
  }
  await ensureRoomForPasskey(db, input.userId);
  const [row] = await db
    .insert(passkeyCredentials)
    .values({
      userId: input.userId,
      credentialId: encodeBase64urlNoPadding(verified.credentialId),
      algorithm: verified.algorithm,
      publicKey: encodeBase64urlNoPadding(verified.publicKey),
      signCount: verified.signCount,
      name: input.name,
      createdAt: now,
    })
    .onConflictDoNothing({ target: passkeyCredentials.credentialId })
    .returning(summaryColumns);
  if (!row) throw new DomainError("conflict", PASSKEY_ALREADY_ADDED_MESSAGE);
  return row;
}

/** Renames one of the account's passkeys; refused (not found) when it has no passkey with that id. */
export async function renamePasskey(db: Database, userId: string, passkeyId: string, name: string): Promise<void> {
  const renamed = await db
    .update(passkeyCredentials)
    .set({ name })
    .where(and(eq(passkeyCredentials.userId, userId), eq(passkeyCredentials.id, passkeyId)))
    .returning({ id: passkeyCredentials.id });
  if (renamed.length === 0) throw new DomainError("not_found", NO_SUCH_PASSKEY_MESSAGE);
}

/**
 * Removes one of the account's passkeys; refused (not found) when it has no passkey with that id. When it was the
 * last second factor (`twoFactorOff`), the recovery codes go with it.
 */
export async function removePasskey(db: Database, userId: string, passkeyId: string): Promise<{ name: string; twoFactorOff: boolean }> {
  return db.transaction(async (tx) => {
    const [removed] = await tx
      .delete(passkeyCredentials)
      .where(and(eq(passkeyCredentials.userId, userId), eq(passkeyCredentials.id, passkeyId)))
      .returning({ name: passkeyCredentials.name });
    if (!removed) throw new DomainError("not_found", NO_SUCH_PASSKEY_MESSAGE);
    return { name: removed.name, twoFactorOff: await deleteRecoveryCodesIfNoFactorLeft(tx, userId) };
  });
}

export interface VerifiedPasskey {
  user: SessionUser & { awaitingConfirmation: boolean };
  passkey: { id: string; name: string };
}

/**
 * Checks an assertion (navigator.credentials.get's answer) to a challenge made for `purpose`:
 * - "sign_in": instead of the password; any account's passkey, which names the account (discoverable credential,
 *   user handle required) and must have verified its user (PIN, biometrics): it is two factors in one.
 * - "second_factor", "reauthentication": `userId`'s own passkey, the user at least present.
 * On success the counter and the last use are written, and the account is returned. Refused with a DomainError
 * otherwise; the challenge is spent either way.
 */
export async function verifyPasskeyAssertion(
  db: Database,
  input: { purpose: WebAuthnChallengePurpose; userId: string | null; response: AssertionResponse },
  rp: RelyingParty = appRelyingParty(),
  now: Date = new Date(),
): Promise<VerifiedPasskey> {
  const { purpose, userId, response } = input;
  if ((purpose === "sign_in") !== (userId === null)) throw new Error(`A ${purpose} assertion ${userId === null ? "needs" : "names no"} account`);
  const clientDataJSON = decode(response.clientDataJSON);
  const authenticatorData = decode(response.authenticatorData);
  const signature = decode(response.signature);
  const clientData = readRefusingMalformed(clientDataJSON);
  if (!(await consumeWebAuthnChallenge(db, clientData.challenge, purpose, userId, now))) {
    throw new DomainError("forbidden", CHALLENGE_SPENT_MESSAGE);
  }

  const [credential] = await db
    .select({
      id: passkeyCredentials.id,
      name: passkeyCredentials.name,
      algorithm: passkeyCredentials.algorithm,
      publicKey: passkeyCredentials.publicKey,
      signCount: passkeyCredentials.signCount,
      user: { id: users.id, email: users.email, firstname: users.firstname, surname: users.surname, awaitingConfirmation: users.awaitingConfirmation },
    })
    .from(passkeyCredentials)
    .innerJoin(users, eq(passkeyCredentials.userId, users.id))
    .where(eq(passkeyCredentials.credentialId, response.credentialId));
  if (!credential) throw new DomainError("forbidden", PASSKEY_UNKNOWN_MESSAGE);
  // §7.2 steps 5–6: the credential is the expected account's, and the user handle, if any, names its owner.
  if (userId !== null && credential.user.id !== userId) throw new DomainError("forbidden", PASSKEY_OF_ANOTHER_ACCOUNT_MESSAGE);
  const userHandle = response.userHandle === null ? null : decode(response.userHandle);
  if (purpose === "sign_in" && userHandle === null) throw new DomainError("forbidden", PASSKEY_NOT_VERIFIED_MESSAGE);
  if (userHandle !== null && new TextDecoder().decode(userHandle) !== credential.user.id) throw new DomainError("forbidden", PASSKEY_OF_ANOTHER_ACCOUNT_MESSAGE);

  let signCount: number;
  let rewrittenPublicKey: Uint8Array | null;
  try {
    ({ signCount, rewrittenPublicKey } = verifyAssertion(
      rp,
      { clientData, clientDataJSON, authenticatorData, signature },
      { algorithm: credential.algorithm, publicKey: decodeBase64urlIgnorePadding(credential.publicKey) },
      purpose === "sign_in" ? "required" : "presence",
    ));
  } catch (error) {
    throw refusal(error, purpose);
  }

  if (!isCounterAcceptable(credential.signCount, signCount)) throw counterRefusal(credential.id);
  // The same rule in the write, so two assertions racing with one counter value cannot both pass. A key stored
  // misencoded (see readStoredP256Key) is written right on its first good use.
  const updated = await db
    .update(passkeyCredentials)
    .set({ signCount, lastUsedAt: now, ...(rewrittenPublicKey && { publicKey: encodeBase64urlNoPadding(rewrittenPublicKey) }) })
    .where(
      and(
        eq(passkeyCredentials.id, credential.id),
        or(sql`${passkeyCredentials.signCount} < ${signCount}`, and(eq(passkeyCredentials.signCount, 0), sql`${signCount} = 0`)),
      ),
    )
    .returning({ id: passkeyCredentials.id });
  if (updated.length === 0) throw counterRefusal(credential.id);
  return { user: credential.user, passkey: { id: credential.id, name: credential.name } };
}

function readRefusingMalformed(clientDataJSON: Uint8Array) {
  try {
    return readClientData(clientDataJSON);
  } catch {
    throw new DomainError("invalid", "This passkey response is malformed.");
  }
}

function refusal(error: unknown, purpose: WebAuthnChallengePurpose | "registration"): DomainError {
  if (!(error instanceof WebAuthnVerificationError)) throw error;
  // Which check failed helps whoever runs the server (a wrong APP_URL shows as origin or rp id); it holds no secret.
  log.warn(`A passkey ${purpose} response was refused: ${error.message}`);
  return new DomainError(purpose === "registration" ? "invalid" : "forbidden", PASSKEY_NOT_VERIFIED_MESSAGE);
}

function counterRefusal(passkeyId: string): DomainError {
  log.warn(`A passkey assertion was refused: its signature counter did not grow (passkey ${passkeyId})`);
  return new DomainError("forbidden", PASSKEY_COUNTER_MESSAGE);
}
