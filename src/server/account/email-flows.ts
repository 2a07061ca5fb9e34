import { and, eq, isNull, sql } from "drizzle-orm";
import { env } from "~/env";
import { createEmailLinkToken, consumeEmailLinkToken, deleteEmailLinks, EMAIL_VERIFICATION_LINK_HOURS, PASSWORD_RESET_LINK_MINUTES } from "~/server/auth/email-links";
import { hashPassword } from "~/server/auth/password";
import { invalidateUserSessions } from "~/server/auth/session";
import type { Database } from "~/server/db/client";
import { DomainError } from "~/server/domain-error";
import { users } from "~/server/db/schema";
import { MailUnavailableError, isMailAvailable, sendMail } from "~/server/email/mailer";
import { emailVerificationMail, passwordResetMail, signUpAttemptMail, signUpConfirmationMail } from "~/server/email/templates";
import { AFTER_SIGN_IN_PATH } from "~/server/auth/redirect";
import type { SessionUser } from "~/server/auth/session";
import { revokeAllAccess, type RevokedAccess } from "./revoke-access";

// Account flows that go through a mailed link: forgotten password and email verification.

export const RESET_PASSWORD_PATH = "/reset-password";
export const VERIFY_EMAIL_PATH = "/verify-email";
export const RESET_LINK_INVALID_MESSAGE = "This reset link is invalid, already used or expired. Ask for a new one.";
export const VERIFY_LINK_INVALID_MESSAGE = "This verification link is invalid, already used or expired. Sign in and use Resend for a new one.";

/** A mailed link; `next` (already validated) rides along, so whoever came from an authorization link gets back to it. */
function linkTo(path: string, token: string, next: string = AFTER_SIGN_IN_PATH): string {
  return `${env.APP_URL}${path}?token=${token}${next === AFTER_SIGN_IN_PATH ? "" : `&next=${encodeURIComponent(next)}`}`;
}

/**
 * Mails a reset link (keeping `next`, already validated) if an account has this email; does nothing otherwise. Callers answer the same
 * either way and run this off the response path, so neither the answer nor its timing tells whether
 * the account exists.
 */
export async function sendPasswordResetLink(db: Database, email: string, next: string = AFTER_SIGN_IN_PATH): Promise<void> {
  if (!isMailAvailable()) throw new MailUnavailableError();
  const [user] = await db.select({ id: users.id, email: users.email, firstname: users.firstname }).from(users).where(eq(users.email, email));
  if (!user) return;
  const token = await createEmailLinkToken(db, user.id, "password_reset");
  await sendMail(
    passwordResetMail({ to: user.email, firstname: user.firstname, link: linkTo(RESET_PASSWORD_PATH, token, next), validMinutes: PASSWORD_RESET_LINK_MINUTES }),
  );
}

/**
 * Sets a new password with a reset link's secret, once. Following the link proved the mailbox is theirs, so
 * the email counts as verified, and whoever else held the account loses everything it gave them: every
 * session ends, every personal token and OAuth connection is revoked (an address claimed in advance keeps no
 * access once its owner takes it back), and every other reset link and any pending change of address stop working.
 * Returns whose password it was and what was revoked; refused (invalid) when the link is not (or no longer) valid.
 */
export async function resetPasswordWithLink(db: Database, token: string, newPassword: string): Promise<RevokedAccess & { userId: string }> {
  const userId = await consumeEmailLinkToken(db, token, "password_reset");
  if (!userId) throw new DomainError("invalid", RESET_LINK_INVALID_MESSAGE);
  const passwordHash = await hashPassword(newPassword);
  return db.transaction(async (tx) => {
    await tx.update(users).set({ passwordHash }).where(eq(users.id, userId));
    await tx.update(users).set({ emailVerifiedAt: new Date() }).where(and(eq(users.id, userId), isNull(users.emailVerifiedAt)));
    await tx.update(users).set({ awaitingConfirmation: false }).where(eq(users.id, userId));
    await deleteEmailLinks(tx, userId, "password_reset");
    // A change of address asked by whoever held the account would otherwise still hand it over once its link is opened.
    await deleteEmailLinks(tx, userId, "email_change");
    const sessions = await invalidateUserSessions(tx, userId);
    return { userId, sessions, ...(await revokeAllAccess(tx, userId)) };
  });
}

/** Mails a fresh verification link, ending the ones sent before. */
export async function sendVerificationLink(db: Database, user: { id: string; email: string; firstname: string }): Promise<void> {
  if (!isMailAvailable()) throw new MailUnavailableError();
  await deleteEmailLinks(db, user.id, "email_verification");
  const token = await createEmailLinkToken(db, user.id, "email_verification");
  await sendMail(
    emailVerificationMail({ to: user.email, firstname: user.firstname, link: linkTo(VERIFY_EMAIL_PATH, token), validHours: EMAIL_VERIFICATION_LINK_HOURS }),
  );
}

/**
 * Marks the email of the link's account as verified, once per link. Returns the account, and whether it was
 * waiting for this confirmation to allow its first sign-in; refused (invalid) when the link is not (or no longer)
 * valid, or its account is gone.
 */
export async function verifyEmailWithLink(db: Database, token: string): Promise<{ user: SessionUser; wasAwaitingConfirmation: boolean }> {
  const userId = await consumeEmailLinkToken(db, token, "email_verification");
  if (!userId) throw new DomainError("invalid", VERIFY_LINK_INVALID_MESSAGE);
  return db.transaction(async (tx) => {
    const [before] = await tx.select({ awaiting: users.awaitingConfirmation }).from(users).where(eq(users.id, userId)).for("update");
    const [user] = await tx
      .update(users)
      .set({ emailVerifiedAt: sql`coalesce(${users.emailVerifiedAt}, now())`, awaitingConfirmation: false })
      .where(eq(users.id, userId))
      .returning({ id: users.id, email: users.email, firstname: users.firstname, surname: users.surname });
    if (!user) throw new DomainError("invalid", VERIFY_LINK_INVALID_MESSAGE);
    return { user, wasAwaitingConfirmation: before?.awaiting ?? false };
  });
}

/**
 * Sign-up where mail is configured: mails the link that confirms the address and allows the first sign-in.
 * `next` (already validated) rides along, so whoever signed up from an authorization link lands back on it.
 */
export async function sendSignUpConfirmation(db: Database, user: SessionUser, next: string): Promise<void> {
  if (!isMailAvailable()) throw new MailUnavailableError();
  const token = await createEmailLinkToken(db, user.id, "email_verification");
  const link = linkTo(VERIFY_EMAIL_PATH, token, next);
  await sendMail(signUpConfirmationMail({ to: user.email, firstname: user.firstname, link, validHours: EMAIL_VERIFICATION_LINK_HOURS }));
}

/**
 * Sign-up with an address that already has an account: its owner is told, and how to get in if it was them.
 * The person signing up sees the same answer as for a free address, so sign-up tells nobody who has an account.
 */
export async function sendSignUpAttemptNotice(db: Database, email: string): Promise<void> {
  if (!isMailAvailable()) throw new MailUnavailableError();
  const [user] = await db.select({ email: users.email, firstname: users.firstname }).from(users).where(eq(users.email, email));
  if (!user) return;
  await sendMail(signUpAttemptMail({ to: user.email, firstname: user.firstname, link: `${env.APP_URL}/forgot-password` }));
}

export async function isEmailVerified(db: Database, userId: string): Promise<boolean> {
  const [row] = await db.select({ verifiedAt: users.emailVerifiedAt }).from(users).where(eq(users.id, userId));
  return Boolean(row?.verifiedAt);
}
