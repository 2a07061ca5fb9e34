import { TRPCError } from "@trpc/server";
import { z } from "zod";
import {
  cancelEmailChange,
  confirmEmailChange,
  EMAIL_CHANGE_LINK_INVALID_MESSAGE,
  EMAIL_CHANGE_TAKEN_MESSAGE,
  findPendingEmailChange,
  requestEmailChange,
} from "~/server/account/email-change";
import {
  isEmailVerified,
  RESET_LINK_INVALID_MESSAGE,
  resetPasswordWithLink,
  sendPasswordResetLink,
  sendVerificationLink,
  VERIFY_LINK_INVALID_MESSAGE,
  verifyEmailWithLink,
} from "~/server/account/email-flows";
import { changePassword, deleteAccount, setTimeZone, signOutOtherSessions, updateName } from "~/server/account/profile";
import { timeZoneSchema } from "~/server/account/time-zone";
import { currentPasswordSchema, emailSchema, firstnameSchema, newPasswordSchema, surnameSchema } from "~/server/auth/credentials";
import { expiredSessionCookie } from "~/server/auth/cookie";
import { WRONG_PASSWORD_MESSAGE } from "~/server/auth/messages";
import { describeDevice } from "~/server/auth/device";
import { describeSignInMethod } from "~/server/auth/sign-in-methods";
import { safeNextPath } from "~/server/auth/redirect";
import { invalidateUserSession, listUserSessions } from "~/server/auth/session";
import { describeError } from "~/server/describe-error";
import { DomainError } from "~/server/domain-error";
import { isMailAvailable } from "~/server/email/mailer";
import { notifySecurityEvent, requestOrigin } from "~/server/email/security-mail";
import { createTRPCRouter, domainProcedure, publicDomainProcedure, sudoProcedure } from "~/server/api/trpc";
import { enforceAttemptLimit, startSession } from "./auth";
import { log } from "~/server/observability/logger";

export const MAIL_UNAVAILABLE_MESSAGE = "This server cannot send email, so this is unavailable. Ask its administrator to configure SMTP_URL.";
export const RESET_REQUESTED_MESSAGE = "If an account uses this email, a link to reset its password is on its way. It works once, within 30 minutes.";
export { EMAIL_CHANGE_LINK_INVALID_MESSAGE, EMAIL_CHANGE_TAKEN_MESSAGE, RESET_LINK_INVALID_MESSAGE, VERIFY_LINK_INVALID_MESSAGE, WRONG_PASSWORD_MESSAGE };

// Mailed secrets are 32 base32 characters; anything much longer is not one, and is refused before any work.
const linkTokenSchema = z.string().min(1, { error: "This link is incomplete." }).max(100, { error: "This link is invalid." });

function requireMail(): void {
  if (!isMailAvailable()) throw new TRPCError({ code: "PRECONDITION_FAILED", message: MAIL_UNAVAILABLE_MESSAGE });
}

export const accountRouter = createTRPCRouter({
  /** Same answer whether or not the email has an account; the mail, if any, is sent after the response. */
  requestPasswordReset: publicDomainProcedure.input(z.object({ email: emailSchema, next: z.string().max(2048).optional() })).mutation(async ({ ctx, input }) => {
    await enforceAttemptLimit(ctx, "reset", input.email);
    requireMail();
    // Where the reset came from (an app's consent page) rides along in the link, validated as sign-in's own.
    sendPasswordResetLink(ctx.db, input.email, safeNextPath(input.next)).catch((error: unknown) => {
      log.error(`Sending a password reset email failed: ${describeError(error)}`);
    });
    return { message: RESET_REQUESTED_MESSAGE };
  }),

  resetPassword: publicDomainProcedure
    .input(z.object({ token: linkTokenSchema, password: newPasswordSchema }))
    .mutation(async ({ ctx, input }) => {
      await enforceAttemptLimit(ctx, "reset", null);
      const { userId, ...revoked } = await resetPasswordWithLink(ctx.db, input.token, input.password);
      void notifySecurityEvent(ctx.db, userId, { kind: "password_reset" }, requestOrigin(ctx.headers));
      // Every session of the account has ended, the caller's included if it had one.
      ctx.resHeaders?.append("Set-Cookie", expiredSessionCookie());
      return { reset: true as const, revoked };
    }),

  /** Following the link confirms the address; for an account created with mail configured, it is also the first sign-in. */
  verifyEmail: publicDomainProcedure.input(z.object({ token: linkTokenSchema })).mutation(async ({ ctx, input }) => {
    const verified = await verifyEmailWithLink(ctx.db, input.token);
    if (verified.wasAwaitingConfirmation) await startSession(ctx, verified.user, "email_link");
    return { verified: true as const, signedIn: verified.wasAwaitingConfirmation };
  }),

  emailStatus: domainProcedure.query(async ({ ctx }) => ({
    verified: await isEmailVerified(ctx.db, ctx.user.id),
    mailAvailable: isMailAvailable(),
  })),

  resendVerification: domainProcedure.mutation(async ({ ctx }) => {
    await enforceAttemptLimit(ctx, "reset", ctx.user.email);
    requireMail();
    if (await isEmailVerified(ctx.db, ctx.user.id)) return { sent: false as const, alreadyVerified: true as const };
    try {
      await sendVerificationLink(ctx.db, ctx.user);
    } catch (error) {
      log.error(`Sending the verification email failed: ${describeError(error)}`);
      throw new TRPCError({ code: "SERVICE_UNAVAILABLE", message: "The email could not be sent. Try again in a few minutes." });
    }
    return { sent: true as const, alreadyVerified: false as const };
  }),

  /**
   * Sudo mode: the address is how the account is reset and reached. The change waits for the link mailed to the
   * new address (sent after the response); the answer is the same whether or not that address has an account,
   * where sign-up's is (see requestEmailChange).
   */
  requestEmailChange: sudoProcedure.input(z.object({ newEmail: emailSchema })).mutation(async ({ ctx, input }) => {
    await enforceAttemptLimit(ctx, "reset", ctx.user.email);
    requireMail();
    const { pending, mail } = await requestEmailChange(ctx.db, ctx.user, input.newEmail);
    mail().catch((error: unknown) => {
      log.error(`Sending the email change link failed: ${describeError(error)}`);
    });
    return pending;
  }),

  pendingEmailChange: domainProcedure.query(({ ctx }) => findPendingEmailChange(ctx.db, ctx.user.id)),

  /** Taking a change back is no power gained: no sudo mode needed. */
  cancelEmailChange: domainProcedure.mutation(async ({ ctx }) => ({ cancelled: await cancelEmailChange(ctx.db, ctx.user.id) })),

  /** Opening the link mailed to the new address makes the change; the old address is told. */
  confirmEmailChange: publicDomainProcedure.input(z.object({ token: linkTokenSchema })).mutation(async ({ ctx, input }) => {
    await enforceAttemptLimit(ctx, "reset", null);
    const result = await confirmEmailChange(ctx.db, input.token);
    void notifySecurityEvent(ctx.db, result.userId, { kind: "email_changed", from: result.from, to: result.to }, requestOrigin(ctx.headers));
    return { changed: true as const, email: result.to };
  }),

  updateName: domainProcedure
    .input(z.object({ firstname: firstnameSchema, surname: surnameSchema }))
    .mutation(({ ctx, input }) => updateName(ctx.db, ctx.user.id, input)),

  /** The zone the person's times are shown in; a zone this server does not know is a 400 saying so. */
  setTimeZone: domainProcedure
    .input(z.object({ timeZone: timeZoneSchema, onlyIfUnset: z.boolean().default(false) }))
    .mutation(async ({ ctx, input }) => {
      const changed = await setTimeZone(ctx.db, ctx.user.id, input.timeZone, { onlyIfUnset: input.onlyIfUnset });
      return { timeZone: input.timeZone, changed };
    }),

  changePassword: sudoProcedure
    .input(z.object({ currentPassword: currentPasswordSchema, newPassword: newPasswordSchema, revokeAccess: z.boolean().default(false) }))
    .mutation(async ({ ctx, input }) => {
      await enforceAttemptLimit(ctx, "password", ctx.user.email);
      const revoked = await changePassword(ctx.db, {
        userId: ctx.user.id,
        currentSessionId: ctx.session.id,
        currentPassword: input.currentPassword,
        newPassword: input.newPassword,
        revokeAccess: input.revokeAccess,
      });
      void notifySecurityEvent(ctx.db, ctx.user.id, { kind: "password_changed" }, requestOrigin(ctx.headers));
      return { changed: true as const, revoked };
    }),

  sessions: domainProcedure.query(async ({ ctx }) => {
    const sessions = await listUserSessions(ctx.db, ctx.user.id);
    return sessions.map((session) => ({
      id: session.id,
      device: describeDevice(session.userAgent),
      signInMethod: describeSignInMethod(session.signInMethod),
      createdAt: session.createdAt,
      lastSeenAt: session.lastSeenAt,
      current: session.id === ctx.session.id,
    }));
  }),

  signOutSession: domainProcedure.input(z.object({ id: z.string().max(128) })).mutation(async ({ ctx, input }) => {
    if (!(await invalidateUserSession(ctx.db, ctx.user.id, input.id))) {
      throw new DomainError("not_found", "This session has already ended.");
    }
    const current = input.id === ctx.session.id;
    if (current) ctx.resHeaders?.append("Set-Cookie", expiredSessionCookie());
    return { signedOut: true as const, current };
  }),

  signOutOtherSessions: domainProcedure.input(z.object({ revokeAccess: z.boolean().default(false) }).default({ revokeAccess: false })).mutation(async ({ ctx, input }) => {
    const revoked = await signOutOtherSessions(ctx.db, { userId: ctx.user.id, currentSessionId: ctx.session.id, revokeAccess: input.revokeAccess });
    return { signedOut: true as const, revoked };
  }),

  deleteAccount: sudoProcedure.input(z.object({ password: currentPasswordSchema })).mutation(async ({ ctx, input }) => {
    await enforceAttemptLimit(ctx, "password", ctx.user.email);
    await deleteAccount(ctx.db, ctx.user.id, input.password);
    ctx.resHeaders?.append("Set-Cookie", expiredSessionCookie());
    return { deleted: true as const };
  }),
});
