import { and, eq, isNull } from "drizzle-orm";
import { env } from "~/env";
import { createEmailLinkToken, deleteEmailLinks, PASSWORD_RESET_LINK_MINUTES } from "~/server/auth/email-links";
import type { Database } from "~/server/db/client";
import { users } from "~/server/db/schema";
import { RESET_PASSWORD_PATH } from "./email-flows";

// What an operator can do from the server when no mail goes out (`npm run account -- …`, issue 20 item 11): the
// same reset link the mail would carry, handed over by the operator, so they never choose or see the password;
// and an address marked verified.

export type OperatorResult<T> = { ok: true; value: T } | { ok: false; message: string };

function noAccount(email: string): { ok: false; message: string } {
  return { ok: false, message: `No account has the email ${email}.` };
}

/** A fresh password-reset link for the account with this email (earlier reset links stop working). */
export async function passwordResetLinkFor(db: Database, email: string): Promise<OperatorResult<{ link: string; validMinutes: number }>> {
  const address = email.trim().toLowerCase();
  const [user] = await db.select({ id: users.id }).from(users).where(eq(users.email, address));
  if (!user) return noAccount(address);
  await deleteEmailLinks(db, user.id, "password_reset");
  const token = await createEmailLinkToken(db, user.id, "password_reset");
  return { ok: true, value: { link: `${env.APP_URL}${RESET_PASSWORD_PATH}?token=${token}`, validMinutes: PASSWORD_RESET_LINK_MINUTES } };
}

/** Marks the account's email as verified; says whether it already was. */
export async function verifyEmailFor(db: Database, email: string): Promise<OperatorResult<{ alreadyVerified: boolean }>> {
  const address = email.trim().toLowerCase();
  const [user] = await db.select({ id: users.id, verifiedAt: users.emailVerifiedAt }).from(users).where(eq(users.email, address));
  if (!user) return noAccount(address);
  if (user.verifiedAt) return { ok: true, value: { alreadyVerified: true } };
  // Also lets an account waiting for its sign-up confirmation sign in: the operator vouches for the address.
  await db.update(users).set({ emailVerifiedAt: new Date(), awaitingConfirmation: false }).where(and(eq(users.id, user.id), isNull(users.emailVerifiedAt)));
  await deleteEmailLinks(db, user.id, "email_verification");
  return { ok: true, value: { alreadyVerified: false } };
}
