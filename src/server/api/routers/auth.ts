import { TRPCError } from "@trpc/server";
import { env } from "~/env";
import { z } from "zod";
import { sendSignUpAttemptNotice, sendSignUpConfirmation, sendVerificationLink } from "~/server/account/email-flows";
import { safeNextPath } from "~/server/auth/redirect";
import { describeError } from "~/server/describe-error";
import { isMailAvailable, mailDelivery } from "~/server/email/mailer";
import { authenticateUser, createUser, currentPasswordSchema, signInInputSchema, signUpInputSchema } from "~/server/auth/credentials";
import { WRONG_PASSWORD_MESSAGE } from "~/server/auth/messages";
import { appRelyingParty, assertionResponseSchema, CHALLENGE_LIFETIME_MS, createWebAuthnChallenge, listPasskeyCredentialIds } from "~/server/auth/passkeys";
import { confirmAccessWithCode, confirmAccessWithPasskey, confirmAccessWithPassword, SUDO_DURATION_MS } from "~/server/auth/sudo";
import { DomainError } from "~/server/domain-error";
import { clientIpFromHeaders } from "~/server/auth/client-ip";
import { deviceCookie, expiredSessionCookie, pendingSignInCookie, readDeviceCookie, sessionCookie } from "~/server/auth/cookie";
import { recognizeDevice } from "~/server/auth/known-devices";
import { notifySecurityEvent, requestOrigin } from "~/server/email/security-mail";
import { createPendingSignIn, PENDING_SIGN_IN_MINUTES } from "~/server/auth/pending-sign-in";
import { hasSecondFactor } from "~/server/auth/second-factor";
import { TOTP_UNAVAILABLE_MESSAGE, TotpEncryptionUnavailableError } from "~/server/auth/totp-key-encryption";
import type { SignInMethod } from "~/server/auth/sign-in-methods";
import { authAttemptRule, consumeAuthAttempt, type AuthAttemptKind } from "~/server/auth/rate-limit";
import { createSession, generateSessionToken, invalidateSession, type SessionUser } from "~/server/auth/session";
import type { TRPCContext } from "~/server/api/trpc";
import { createTRPCRouter, domainProcedure, publicDomainProcedure, publicProcedure } from "~/server/api/trpc";
import { log } from "~/server/observability/logger";
import { metrics } from "~/server/observability/metrics";

export const EMAIL_TAKEN_MESSAGE = "An account with this email already exists. Sign in instead?";
export const WRONG_CREDENTIALS_MESSAGE = "Wrong email or password.";
export const AWAITING_CONFIRMATION_MESSAGE =
  "Confirm your email first: follow the link we mailed when you created the account. Lost it? Use Forgot password? to get a new way in.";

export const WRONG_CONFIRM_CODE_MESSAGE = "That code is not right, or was already used. Enter the code your app shows now, or an unused recovery code.";

/** "Too many codes tried for this account. Try again in 14 minutes.": the limit is per account, in minutes. */
export function tooManyCodesMessage(retryAfterSeconds: number): string {
  const minutes = Math.ceil(retryAfterSeconds / 60);
  return `Too many codes tried for this account. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`;
}

// Generous bounds, as the two-factor step's: the checks refuse what is wrong, but nothing long is hashed or compared.
const confirmAccessCodeInput = z.object({ code: z.string().trim().min(1, { error: "Enter the code." }).max(64, { error: "That is not a code." }) });

/** Signed in, or (a second factor on) sent to the two-factor step: no session yet, a pending sign-in instead. */
export type SignInResult = SessionUser | { secondFactorRequired: true };

/** Signed in at once (no mail configured), or told to check their email. */
export type SignUpResult = SessionUser | { checkEmail: true; email: string };

/** Counts an attempt of `kind` against the caller's IP and `email` (null when the request names none); 429 past the limit. */
export async function enforceAttemptLimit(ctx: TRPCContext, kind: AuthAttemptKind, email: string | null): Promise<void> {
  const result = await consumeAuthAttempt(
    ctx.db,
    { kind, ip: clientIpFromHeaders(ctx.headers), email },
    authAttemptRule(env.AUTH_RATE_LIMIT_PER_MINUTE),
  );
  if (result.allowed) return;
  metrics().limitRefusals.inc({ limit: `auth_${kind}` });
  ctx.resHeaders?.set("Retry-After", String(result.retryAfterSeconds));
  throw new TRPCError({
    code: "TOO_MANY_REQUESTS",
    message: `Too many attempts. Try again in ${result.retryAfterSeconds} second${result.retryAfterSeconds === 1 ? "" : "s"}.`,
  });
}

/**
 * Starts a new session for `user`, ending the one the request came with (no session fixation). A sign-in from a
 * browser the account has not used before is mailed to its owner (issue 22).
 */
export async function startSession(ctx: TRPCContext, user: SessionUser, signInMethod: SignInMethod = "password"): Promise<void> {
  if (ctx.session) await invalidateSession(ctx.db, ctx.session.id);
  const token = generateSessionToken();
  const userAgent = ctx.headers.get("user-agent");
  const session = await createSession(ctx.db, token, user.id, userAgent, signInMethod);
  ctx.resHeaders?.append("Set-Cookie", sessionCookie(token, session.expiresAt));
  const device = await recognizeDevice(ctx.db, user.id, readDeviceCookie(ctx.headers.get("cookie")), userAgent);
  ctx.resHeaders?.append("Set-Cookie", deviceCookie(device.token));
  if (device.isNew) void notifySecurityEvent(ctx.db, user.id, { kind: "new_device_sign_in" }, requestOrigin(ctx.headers));
}

export const authRouter = createTRPCRouter({
  /**
   * Without SMTP_URL (mail printed to the log in development, or none): the account is created and signed in at
   * once, as a link only the log shows would prove nothing. With SMTP_URL, the address is confirmed
   * first, and the answer is the same whether or not it already has an account (issue 19 item 2): the password is
   * hashed either way, and the mail (a confirmation link, or a note to the existing owner) is sent after the
   * response.
   */
  signUp: publicDomainProcedure.input(signUpInputSchema.extend({ next: z.string().max(2048).optional() })).mutation(async ({ ctx, input }): Promise<SignUpResult> => {
    await enforceAttemptLimit(ctx, "signup", input.email);
    const { next, ...account } = input;
    const clientIp = clientIpFromHeaders(ctx.headers);
    if (mailDelivery() === "smtp") {
      const result = await createUser(ctx.db, account, clientIp, { awaitingConfirmation: true });
      const mailing = result.ok ? sendSignUpConfirmation(ctx.db, result.user, safeNextPath(next)) : sendSignUpAttemptNotice(ctx.db, account.email);
      mailing.catch((error: unknown) => {
        log.error(`Sending the sign-up email failed: ${describeError(error)}`);
      });
      return { checkEmail: true, email: account.email };
    }
    const result = await createUser(ctx.db, account, clientIp);
    if (!result.ok) throw new DomainError("conflict", EMAIL_TAKEN_MESSAGE);
    await startSession(ctx, result.user);
    // In development the verification link goes to the log; off the response path, and the dashboard offers Resend.
    if (isMailAvailable()) {
      sendVerificationLink(ctx.db, result.user).catch((error: unknown) => {
        log.error(`Sending the verification email failed: ${describeError(error)}`);
      });
    }
    return result.user;
  }),

  /**
   * A right password signs in, unless the account has a second factor: then it only opens the two-factor step (a
   * pending sign-in, held server side, its token in a cookie), keeping `next` for after it.
   */
  signIn: publicDomainProcedure
    .input(signInInputSchema.extend({ next: z.string().max(2048).optional() }))
    .mutation(async ({ ctx, input }): Promise<SignInResult> => {
      await enforceAttemptLimit(ctx, "signin", input.email);
      const authenticated = await authenticateUser(ctx.db, input, clientIpFromHeaders(ctx.headers));
      metrics().signIns.inc({ outcome: authenticated ? "ok" : "wrong_credentials" });
      if (!authenticated) throw new DomainError("unauthorized", WRONG_CREDENTIALS_MESSAGE);
      const { awaitingConfirmation, ...user } = authenticated;
      if (awaitingConfirmation) throw new DomainError("forbidden", AWAITING_CONFIRMATION_MESSAGE);
      if (await hasSecondFactor(ctx.db, user.id)) {
        const token = await createPendingSignIn(ctx.db, user.id, safeNextPath(input.next));
        ctx.resHeaders?.append("Set-Cookie", pendingSignInCookie(token, PENDING_SIGN_IN_MINUTES * 60));
        return { secondFactorRequired: true };
      }
      await startSession(ctx, user);
      return user;
    }),

  signOut: publicProcedure.mutation(async ({ ctx }) => {
    if (ctx.session) await invalidateSession(ctx.db, ctx.session.id);
    // Clear the cookie even without a valid session: a stale one is no use to anybody.
    ctx.resHeaders?.append("Set-Cookie", expiredSessionCookie());
    return { signedOut: true as const };
  }),

  me: publicProcedure.query(({ ctx }): SessionUser | null => ctx.user),

  /**
   * The Confirm access prompt (sudo mode): the account's password puts this session in sudo mode for 10
   * minutes. Attempts count like sign-in's, against the account's email and the client, so a stolen
   * session cookie cannot be used to guess the password either.
   */
  confirmAccess: domainProcedure.input(z.object({ password: currentPasswordSchema })).mutation(async ({ ctx, input }) => {
    await enforceAttemptLimit(ctx, "password", ctx.user.email);
    const clientIp = clientIpFromHeaders(ctx.headers);
    if (!(await confirmAccessWithPassword(ctx.db, { session: ctx.session, password: input.password, clientIp }))) {
      throw new DomainError("forbidden", WRONG_PASSWORD_MESSAGE, "password");
    }
    return { confirmed: true as const, sudoUntil: new Date(Date.now() + SUDO_DURATION_MS) };
  }),

  /** A challenge for Confirm access with a passkey, limited to the account's own passkeys; counted like a password attempt. */
  confirmAccessPasskeyOptions: domainProcedure.mutation(async ({ ctx }) => {
    await enforceAttemptLimit(ctx, "password", ctx.user.email);
    return {
      challenge: await createWebAuthnChallenge(ctx.db, "reauthentication", ctx.user.id),
      rpId: appRelyingParty().id,
      timeoutMs: CHALLENGE_LIFETIME_MS,
      allowCredentialIds: await listPasskeyCredentialIds(ctx.db, ctx.user.id),
    };
  }),

  /**
   * Confirm access with a code from the authenticator app or a recovery code (which is spent: the answer says how
   * many are left). A wrong code is a field error; past the account's limit, 429 with when to try again.
   */
  confirmAccessWithCode: domainProcedure.input(confirmAccessCodeInput).mutation(async ({ ctx, input }) => {
    const result = await confirmAccessWithCode(ctx.db, { session: ctx.session, code: input.code }).catch((error: unknown) => {
      if (!(error instanceof TotpEncryptionUnavailableError)) throw error;
      throw new TRPCError({ code: "PRECONDITION_FAILED", message: `${TOTP_UNAVAILABLE_MESSAGE} Use your password or a recovery code meanwhile.` });
    });
    if (!result.ok) {
      if (result.reason === "wrong_code") throw new DomainError("invalid", WRONG_CONFIRM_CODE_MESSAGE, "code");
      ctx.resHeaders?.set("Retry-After", String(result.retryAfterSeconds));
      throw new TRPCError({ code: "TOO_MANY_REQUESTS", message: tooManyCodesMessage(result.retryAfterSeconds) });
    }
    return { confirmed: true as const, sudoUntil: new Date(Date.now() + SUDO_DURATION_MS), recoveryCodesLeft: result.recoveryCodesLeft };
  }),

  /** Confirm access with one of the account's passkeys, answering confirmAccessPasskeyOptions's challenge. */
  confirmAccessWithPasskey: domainProcedure.input(z.object({ response: assertionResponseSchema })).mutation(async ({ ctx, input }) => {
    await confirmAccessWithPasskey(ctx.db, { session: ctx.session, response: input.response });
    return { confirmed: true as const, sudoUntil: new Date(Date.now() + SUDO_DURATION_MS) };
  }),
});
