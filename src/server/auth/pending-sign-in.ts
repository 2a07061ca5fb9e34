import { and, eq, gt, sql } from "drizzle-orm";
import type { Database } from "~/server/db/client";
import { deleteBatch, purgeInBatches, type PurgeOptions } from "~/server/db/purge";
import { pendingSignIns } from "~/server/db/schema";
import { generateSessionToken, sessionIdFromToken } from "./session";

// A sign-in whose password was right and that now needs its second factor. Held server side, bound to the
// account, and known to the browser only by a random token in an HttpOnly cookie (its SHA-256 is the row id, as
// for sessions). Short-lived and single-use: passing the step deletes it, and only then is a session created.

export const PENDING_SIGN_IN_MINUTES = 10;

export interface PendingSignIn {
  userId: string;
  /** Where to go once signed in: already validated as a path on this site. */
  next: string;
}

/** Records a pending sign-in for `userId` and returns the token for its cookie. Expired ones go with the purges job. */
export async function createPendingSignIn(db: Database, userId: string, next: string, now: Date = new Date()): Promise<string> {
  const token = generateSessionToken();
  await db.insert(pendingSignIns).values({
    id: sessionIdFromToken(token),
    userId,
    next,
    expiresAt: new Date(now.getTime() + PENDING_SIGN_IN_MINUTES * 60_000),
    createdAt: now,
  });
  return token;
}

/** The live pending sign-in of a token, without using it up; null when unknown, expired or already used. */
export async function findPendingSignIn(db: Database, token: string, now: Date = new Date()): Promise<PendingSignIn | null> {
  const [row] = await db
    .select({ userId: pendingSignIns.userId, next: pendingSignIns.next })
    .from(pendingSignIns)
    .where(and(eq(pendingSignIns.id, sessionIdFromToken(token)), gt(pendingSignIns.expiresAt, now)));
  return row ?? null;
}

/**
 * Uses the pending sign-in up, for the account it was made for: one atomic delete, so of two requests that both
 * passed the step only one gets the sign-in. Null when it is gone (used, expired) or belongs to someone else.
 */
export async function consumePendingSignIn(db: Database, token: string, userId: string, now: Date = new Date()): Promise<PendingSignIn | null> {
  const [row] = await db
    .delete(pendingSignIns)
    .where(and(eq(pendingSignIns.id, sessionIdFromToken(token)), eq(pendingSignIns.userId, userId), gt(pendingSignIns.expiresAt, now)))
    .returning({ userId: pendingSignIns.userId, next: pendingSignIns.next });
  return row ?? null;
}

/**
 * Deletes pending sign-ins that expired (the purges job). Abandoned second-factor steps would otherwise stay:
 * only passing the step deletes one.
 */
export async function purgeExpiredPendingSignIns(db: Database, options: PurgeOptions = {}): Promise<number> {
  const expired = sql`${pendingSignIns.expiresAt} < now()`;
  return purgeInBatches((batchSize) => deleteBatch(db, pendingSignIns, pendingSignIns.id, expired, batchSize), options);
}
