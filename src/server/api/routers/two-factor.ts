import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { findSessionUser } from "~/server/auth/credentials";
import { expiredPendingSignInCookie, pendingSignInTokenFromCookieHeader } from "~/server/auth/cookie";
import { appRelyingParty, assertionResponseSchema, CHALLENGE_LIFETIME_MS, createWebAuthnChallenge, listPasskeyCredentialIds, verifyPasskeyAssertion } from "~/server/auth/passkeys";
import { consumePendingSignIn, findPendingSignIn, type PendingSignIn } from "~/server/auth/pending-sign-in";
import {
  beginTotpSetup,
  disableTotp,
  enableTotp,
  hasSecondFactor,
  regenerateRecoveryCodes,
  secondFactorStatus,
  useRecoveryCode,
  verifyTotpCode,
  WRONG_CODE_MESSAGE,
  WRONG_RECOVERY_CODE_MESSAGE,
  type CodeRefusal,
} from "~/server/auth/second-factor";
import type { SignInMethod } from "~/server/auth/sign-in-methods";
import { TOTP_UNAVAILABLE_MESSAGE, totpKeyEncryption, TotpEncryptionUnavailableError } from "~/server/auth/totp-key-encryption";
import { DomainError } from "~/server/domain-error";
import { notifySecondFactorAdded, notifySecondFactorRemoved, requestOrigin } from "~/server/email/security-mail";
import { createTRPCRouter, domainProcedure, publicDomainProcedure, sudoProcedure, type TRPCContext } from "~/server/api/trpc";
import { enforceAttemptLimit, startSession } from "./auth";
import type { PasskeyRequestOptions } from "./passkeys";

export const SIGN_IN_EXPIRED_MESSAGE = "This sign-in has expired or was already completed. Sign in again.";
export const NO_SECOND_FACTOR_MESSAGE = "Turn on an authenticator app or add a passkey first: recovery codes stand in for them.";

// Generous bounds: what matters is refused by the checks, but nothing long is hashed or compared.
const codeInput = z.object({ code: z.string().trim().min(1, { error: "Enter the code." }).max(64, { error: "That is not a code." }) });

function requireEncryption(): void {
  if (!totpKeyEncryption().available) throw new TRPCError({ code: "PRECONDITION_FAILED", message: TOTP_UNAVAILABLE_MESSAGE });
}

/** A refused code as the answer a form shows: next to the field, or as too many attempts (429 with Retry-After). */
function refuse(ctx: TRPCContext, check: CodeRefusal, wrongMessage: string): never {
  if (check.reason === "too_many_attempts") {
    ctx.resHeaders?.set("Retry-After", String(check.retryAfterSeconds));
    const minutes = Math.ceil(check.retryAfterSeconds / 60);
    throw new TRPCError({
      code: "TOO_MANY_REQUESTS",
      message: `Too many codes tried for this account. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`,
    });
  }
  throw new DomainError("invalid", wrongMessage, "code");
}

/** The pending sign-in of this browser; its cookie is cleared (and the step refused) once it is gone. */
async function pendingSignInOf(ctx: TRPCContext): Promise<{ token: string; pending: PendingSignIn }> {
  const token = pendingSignInTokenFromCookieHeader(ctx.headers.get("cookie"));
  const pending = token ? await findPendingSignIn(ctx.db, token) : null;
  if (!token || !pending) {
    ctx.resHeaders?.append("Set-Cookie", expiredPendingSignInCookie());
    throw new DomainError("unauthorized", SIGN_IN_EXPIRED_MESSAGE);
  }
  return { token, pending };
}

/** The step passed: the pending sign-in is used up (once, even against a concurrent request) and the session begins. */
async function completeSignIn(ctx: TRPCContext, token: string, pending: PendingSignIn, method: SignInMethod): Promise<{ next: string }> {
  const consumed = await consumePendingSignIn(ctx.db, token, pending.userId);
  const user = consumed ? await findSessionUser(ctx.db, consumed.userId) : null;
  ctx.resHeaders?.append("Set-Cookie", expiredPendingSignInCookie());
  if (!consumed || !user) throw new DomainError("unauthorized", SIGN_IN_EXPIRED_MESSAGE);
  await startSession(ctx, user, method);
  return { next: consumed.next };
}

/**
 * The two-factor step: public procedures (no session yet) whose domain refusals answer as the other sign-in
 * procedures' do (a wrong code next to its field, a refused passkey 403), and a key this server cannot read as 412.
 */
const stepProcedure = publicDomainProcedure.use(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.cause instanceof TotpEncryptionUnavailableError) {
    throw new TRPCError({ code: "PRECONDITION_FAILED", message: `${TOTP_UNAVAILABLE_MESSAGE} Use a recovery code meanwhile.` });
  }
  return result;
});

export const twoFactorRouter = createTRPCRouter({
  status: domainProcedure.query(async ({ ctx }) => ({
    available: totpKeyEncryption().available,
    ...(await secondFactorStatus(ctx.db, ctx.user.id)),
  })),

  /** A new key to add to an authenticator app; the app is on once enableTotp accepts a first code from it. */
  beginTotpSetup: domainProcedure.mutation(async ({ ctx }) => {
    requireEncryption();
    return beginTotpSetup(ctx.db, ctx.user);
  }),

  enableTotp: domainProcedure.input(codeInput).mutation(async ({ ctx, input }) => {
    requireEncryption();
    const result = await enableTotp(ctx.db, ctx.user.id, input.code);
    if (!result.ok) refuse(ctx, result, WRONG_CODE_MESSAGE);
    void notifySecondFactorAdded(ctx.db, ctx.user.id, { method: "authenticator_app" }, requestOrigin(ctx.headers));
    return { recoveryCodes: result.recoveryCodes };
  }),

  // Sudo mode: turning a second factor off needs a recent check of who holds the session.
  disableTotp: sudoProcedure.mutation(async ({ ctx }) => {
    const { disabled, twoFactorOff } = await disableTotp(ctx.db, ctx.user.id);
    if (disabled) void notifySecondFactorRemoved(ctx.db, ctx.user.id, { method: "authenticator_app", twoFactorOff }, requestOrigin(ctx.headers));
    return { disabled, twoFactorOff };
  }),

  // Sudo mode too: new codes are a way in, and the old ones stop working.
  regenerateRecoveryCodes: sudoProcedure.mutation(async ({ ctx }) => {
    if (!(await hasSecondFactor(ctx.db, ctx.user.id))) throw new DomainError("conflict", NO_SECOND_FACTOR_MESSAGE);
    const recoveryCodes = await regenerateRecoveryCodes(ctx.db, ctx.user.id);
    // A new set stands in for the factors: its owner hears of it, as of a factor added.
    void notifySecondFactorAdded(ctx.db, ctx.user.id, { method: "recovery_codes" }, requestOrigin(ctx.headers));
    return { recoveryCodes };
  }),

  /** The two-factor step with a code from the app. */
  verifySignIn: stepProcedure.input(codeInput).mutation(async ({ ctx, input }) => {
    const { token, pending } = await pendingSignInOf(ctx);
    const check = await verifyTotpCode(ctx.db, pending.userId, input.code);
    if (!check.ok) refuse(ctx, check, WRONG_CODE_MESSAGE);
    return completeSignIn(ctx, token, pending, "password_totp");
  }),

  /**
   * A challenge for the two-factor step with a passkey: bound to the pending sign-in's account and to this step
   * (purpose "second_factor"), single-use, five minutes. Counted as a sign-in attempt of the caller's address, as
   * each writes a row.
   */
  passkeyOptions: stepProcedure.mutation(async ({ ctx }): Promise<PasskeyRequestOptions> => {
    const { pending } = await pendingSignInOf(ctx);
    await enforceAttemptLimit(ctx, "signin", null);
    return {
      challenge: await createWebAuthnChallenge(ctx.db, "second_factor", pending.userId),
      rpId: appRelyingParty().id,
      timeoutMs: CHALLENGE_LIFETIME_MS,
      allowCredentialIds: await listPasskeyCredentialIds(ctx.db, pending.userId),
    };
  }),

  /** The two-factor step with one of the account's passkeys, answering passkeyOptions's challenge. */
  verifySignInWithPasskey: stepProcedure.input(z.object({ response: assertionResponseSchema })).mutation(async ({ ctx, input }) => {
    const { token, pending } = await pendingSignInOf(ctx);
    await verifyPasskeyAssertion(ctx.db, { purpose: "second_factor", userId: pending.userId, response: input.response });
    return completeSignIn(ctx, token, pending, "password_passkey");
  }),

  /** The two-factor step with a recovery code; says how many are left. */
  verifySignInWithRecoveryCode: stepProcedure.input(codeInput).mutation(async ({ ctx, input }) => {
    const { token, pending } = await pendingSignInOf(ctx);
    const check = await useRecoveryCode(ctx.db, pending.userId, input.code);
    if (!check.ok) refuse(ctx, check, WRONG_RECOVERY_CODE_MESSAGE);
    return { ...(await completeSignIn(ctx, token, pending, "password_recovery_code")), recoveryCodesLeft: check.left };
  }),
});
