import { and, eq, gt, sql } from "drizzle-orm";
import type { Database, DatabaseOrTransaction } from "~/server/db/client";
import { deleteBatch, purgeInBatches, type PurgeOptions } from "~/server/db/purge";
import { emailLinks } from "~/server/db/schema";
import { generateSessionToken, sessionIdFromToken } from "./session";

// Single-use secrets mailed as links (password reset, email verification, a change of address). Same construction as session
// tokens: 160 random bits in the link, only their SHA-256 stored, so a tampered link matches nothing.

export type EmailLinkPurpose = (typeof emailLinks.$inferSelect)["purpose"];

const MINUTE_MS = 60_000;
export const PASSWORD_RESET_LINK_MINUTES = 30;
export const EMAIL_VERIFICATION_LINK_HOURS = 48;
export const EMAIL_CHANGE_LINK_HOURS = 24;

const LIFETIME_MS: Record<EmailLinkPurpose, number> = {
  password_reset: PASSWORD_RESET_LINK_MINUTES * MINUTE_MS,
  email_verification: EMAIL_VERIFICATION_LINK_HOURS * 60 * MINUTE_MS,
  email_change: EMAIL_CHANGE_LINK_HOURS * 60 * MINUTE_MS,
};

/** Stores a new link secret for `userId` and returns it; only the returned value can ever use it. */
export async function createEmailLinkToken(db: DatabaseOrTransaction, userId: string, purpose: EmailLinkPurpose, now: Date = new Date()): Promise<string> {
  return insertEmailLink(db, { userId, purpose, newEmail: null }, now);
}

/** A link that moves `userId`'s account to `newEmail` once opened: the secret, and until when it works. */
export async function createEmailChangeToken(db: DatabaseOrTransaction, userId: string, newEmail: string, now: Date = new Date()): Promise<{ token: string; expiresAt: Date }> {
  const token = await insertEmailLink(db, { userId, purpose: "email_change", newEmail }, now);
  return { token, expiresAt: new Date(now.getTime() + LIFETIME_MS.email_change) };
}

async function insertEmailLink(db: DatabaseOrTransaction, link: { userId: string; purpose: EmailLinkPurpose; newEmail: string | null }, now: Date): Promise<string> {
  const token = generateSessionToken();
  await db.insert(emailLinks).values({
    id: sessionIdFromToken(token),
    ...link,
    expiresAt: new Date(now.getTime() + LIFETIME_MS[link.purpose]),
    createdAt: now,
  });
  return token;
}

/**
 * Uses a link secret: the user it belongs to, or null when it is unknown, tampered with, expired, for
 * another purpose or already used. One atomic delete, so two concurrent uses cannot both succeed.
 */
export async function consumeEmailLinkToken(db: Database, token: string, purpose: EmailLinkPurpose, now: Date = new Date()): Promise<string | null> {
  if (!/^[a-z2-7]{32}$/.test(token)) return null;
  const [row] = await db
    .delete(emailLinks)
    .where(and(eq(emailLinks.id, sessionIdFromToken(token)), eq(emailLinks.purpose, purpose), gt(emailLinks.expiresAt, now)))
    .returning({ userId: emailLinks.userId });
  return row?.userId ?? null;
}

/** Uses an email-change link secret, as consumeEmailLinkToken: whose account, and the address it moves to; null when not valid. */
export async function consumeEmailChangeToken(db: DatabaseOrTransaction, token: string, now: Date = new Date()): Promise<{ userId: string; newEmail: string } | null> {
  if (!/^[a-z2-7]{32}$/.test(token)) return null;
  const [row] = await db
    .delete(emailLinks)
    .where(and(eq(emailLinks.id, sessionIdFromToken(token)), eq(emailLinks.purpose, "email_change"), gt(emailLinks.expiresAt, now)))
    .returning({ userId: emailLinks.userId, newEmail: emailLinks.newEmail });
  return row?.newEmail ? { userId: row.userId, newEmail: row.newEmail } : null;
}

/** Whether a link secret would be accepted now, without using it (the reset page checks before asking for a password). */
export async function isEmailLinkTokenValid(db: Database, token: string, purpose: EmailLinkPurpose, now: Date = new Date()): Promise<boolean> {
  if (!/^[a-z2-7]{32}$/.test(token)) return false;
  const [row] = await db
    .select({ id: emailLinks.id })
    .from(emailLinks)
    .where(and(eq(emailLinks.id, sessionIdFromToken(token)), eq(emailLinks.purpose, purpose), gt(emailLinks.expiresAt, now)));
  return Boolean(row);
}

/** Ends every outstanding link of one purpose for a user (after a reset, older reset mails stop working). */
export async function deleteEmailLinks(db: DatabaseOrTransaction, userId: string, purpose: EmailLinkPurpose): Promise<void> {
  await db.delete(emailLinks).where(and(eq(emailLinks.userId, userId), eq(emailLinks.purpose, purpose)));
}

/** Deletes links that expired (they match nothing anyway), in bounded batches: the background purges job. */
export async function purgeExpiredEmailLinks(db: Database, options: PurgeOptions = {}): Promise<number> {
  const expired = sql`${emailLinks.expiresAt} < now()`;
  return purgeInBatches((batchSize) => deleteBatch(db, emailLinks, emailLinks.id, expired, batchSize), options);
}
