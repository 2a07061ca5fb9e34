import { and, eq, gt } from "drizzle-orm";
import { env } from "~/env";
import { consumeEmailChangeToken, createEmailChangeToken, EMAIL_CHANGE_LINK_HOURS } from "~/server/auth/email-links";
import { isUniqueViolation, type Database } from "~/server/db/client";
import { emailLinks, users } from "~/server/db/schema";
import { DomainError } from "~/server/domain-error";
import { mailDelivery, MailUnavailableError, sendMail, type MailDelivery } from "~/server/email/mailer";
import { emailChangeConfirmationMail, emailChangeTakenMail } from "~/server/email/templates";

// Changing the email address (issue 22): asked from /settings in sudo mode, made only when the link mailed to the
// new address is opened, which also proves that address is the person's (so it counts as verified). The old
// address is then told (security mail "email_changed"). One change pending at a time; asking again replaces it.

export const CONFIRM_EMAIL_CHANGE_PATH = "/confirm-email-change";
export const SAME_EMAIL_MESSAGE = "That is already your email address.";
export const EMAIL_IN_USE_MESSAGE = "Another account already uses this email address.";
export const EMAIL_CHANGE_LINK_INVALID_MESSAGE =
  "This link is invalid, already used, cancelled or expired: your email was not changed. Ask for the change again in your account settings.";
export const EMAIL_CHANGE_TAKEN_MESSAGE =
  "This address now belongs to another account, so your email was not changed. Ask for the change again with another address.";

export interface PendingEmailChange {
  newEmail: string;
  expiresAt: Date;
}

/**
 * Starts a change of `user`'s address to `newEmail` (already lower-cased) and returns the mail to send after the
 * response. With SMTP the answer is the same whether or not the address has an account, as sign-up's is: the link
 * goes to a free address, a notice to a taken one's owner, and the pending change is recorded either way (its
 * link is then in nobody's hands). Without SMTP (mail printed to the development log), sign-up already says an
 * address is taken, so this says it too.
 */
export async function requestEmailChange(
  db: Database,
  user: { id: string; email: string; firstname: string },
  newEmail: string,
  options: { now?: Date; delivery?: MailDelivery } = {},
): Promise<{ pending: PendingEmailChange; mail: () => Promise<void> }> {
  const { now = new Date(), delivery = mailDelivery() } = options;
  if (delivery === "unavailable") throw new MailUnavailableError();
  if (newEmail === user.email) throw new DomainError("invalid", SAME_EMAIL_MESSAGE, "newEmail");
  const [owner] = await db.select({ firstname: users.firstname }).from(users).where(eq(users.email, newEmail));
  if (owner && delivery !== "smtp") throw new DomainError("conflict", EMAIL_IN_USE_MESSAGE, "newEmail");
  const { token, expiresAt } = await db.transaction(async (tx) => {
    await tx.delete(emailLinks).where(and(eq(emailLinks.userId, user.id), eq(emailLinks.purpose, "email_change")));
    return createEmailChangeToken(tx, user.id, newEmail, now);
  });
  const mail = owner
    ? () => sendMail(emailChangeTakenMail({ to: newEmail, firstname: owner.firstname, link: `${env.APP_URL}/settings` }))
    : () =>
        sendMail(
          emailChangeConfirmationMail({
            to: newEmail,
            firstname: user.firstname,
            link: `${env.APP_URL}${CONFIRM_EMAIL_CHANGE_PATH}?token=${token}`,
            validHours: EMAIL_CHANGE_LINK_HOURS,
          }),
        );
  return { pending: { newEmail, expiresAt }, mail };
}

/** The change waiting for its link, if any (an expired one is not). */
export async function findPendingEmailChange(db: Database, userId: string, now: Date = new Date()): Promise<PendingEmailChange | null> {
  const [row] = await db
    .select({ newEmail: emailLinks.newEmail, expiresAt: emailLinks.expiresAt })
    .from(emailLinks)
    .where(and(eq(emailLinks.userId, userId), eq(emailLinks.purpose, "email_change"), gt(emailLinks.expiresAt, now)));
  return row?.newEmail ? { newEmail: row.newEmail, expiresAt: row.expiresAt } : null;
}

/** Cancels the pending change: its link stops working. Returns whether there was one. */
export async function cancelEmailChange(db: Database, userId: string): Promise<boolean> {
  const removed = await db
    .delete(emailLinks)
    .where(and(eq(emailLinks.userId, userId), eq(emailLinks.purpose, "email_change")))
    .returning({ id: emailLinks.id });
  return removed.length > 0;
}

export interface EmailChanged {
  userId: string;
  from: string;
  to: string;
}

/**
 * Opens a change link, once: the account's address becomes the new one, verified, and every other link mailed to
 * the old address (a reset, a verification) stops working. An address taken by another account since the link was
 * sent changes nothing (the link is spent: a conflict DomainError). A link that is unknown, spent, cancelled or
 * expired is an invalid one. Whoever opens it needs no session: the link proves the new mailbox, and the request
 * was made in sudo mode.
 */
export async function confirmEmailChange(db: Database, token: string, now: Date = new Date()): Promise<EmailChanged> {
  // Refused after the transaction, not by throwing inside it: a link to a taken address stays spent.
  const outcome = await changeEmailWithLink(db, token, now);
  if (outcome === "invalid_link") throw new DomainError("invalid", EMAIL_CHANGE_LINK_INVALID_MESSAGE);
  if (outcome === "taken") throw new DomainError("conflict", EMAIL_CHANGE_TAKEN_MESSAGE);
  return outcome;
}

async function changeEmailWithLink(db: Database, token: string, now: Date): Promise<EmailChanged | "invalid_link" | "taken"> {
  try {
    return await db.transaction(async (tx) => {
      const link = await consumeEmailChangeToken(tx, token, now);
      if (!link) return "invalid_link" as const;
      const [taken] = await tx.select({ id: users.id }).from(users).where(eq(users.email, link.newEmail));
      if (taken) return "taken" as const;
      const [before] = await tx.select({ email: users.email }).from(users).where(eq(users.id, link.userId)).for("update");
      if (!before) return "invalid_link" as const;
      await tx.update(users).set({ email: link.newEmail, emailVerifiedAt: now }).where(eq(users.id, link.userId));
      await tx.delete(emailLinks).where(eq(emailLinks.userId, link.userId));
      return { userId: link.userId, from: before.email, to: link.newEmail };
    });
  } catch (error) {
    // Taken by a sign-up between the check and the update: the unique index refused it, and nothing changed.
    if (isUniqueViolation(error)) return "taken";
    throw error;
  }
}
