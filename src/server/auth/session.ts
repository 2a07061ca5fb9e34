import { encodeBase32LowerCaseNoPadding } from "@oslojs/encoding";
import { and, desc, eq, ne, sql } from "drizzle-orm";
import type { Database } from "~/server/db/client";
import { deleteBatch, purgeInBatches, type PurgeOptions } from "~/server/db/purge";
import { sessions, users } from "~/server/db/schema";
import { sha256Hex } from "~/server/hash";
import type { SignInMethod } from "./sign-in-methods";

// Sessions as the Lucia guide teaches (lucia-auth.com/sessions/basic): a random token in the cookie,
// its SHA-256 as the row id, so a leaked database cannot be replayed as cookies.

const DAY_MS = 24 * 60 * 60 * 1000;
export const SESSION_DURATION_MS = 30 * DAY_MS;
/** A session is extended when fewer than this many milliseconds remain. */
export const SESSION_RENEW_THRESHOLD_MS = 15 * DAY_MS;
/** `last_seen_at` is written at most this often per session, so reading a page does not always write. */
export const SESSION_LAST_SEEN_RESOLUTION_MS = 60_000;
/** Longer user agents are cut: the column is for telling devices apart, not for storing what a client sends. */
const USER_AGENT_MAX_LENGTH = 512;

export interface SessionUser {
  id: string;
  email: string;
  firstname: string;
  surname: string;
  /** The IANA zone their times are shown in; null until their browser told us (absent where not loaded). */
  timeZone?: string | null;
}

export interface Session {
  id: string;
  userId: string;
  expiresAt: Date;
  /** The session's last check of who holds it (sign-in, sign-up, Confirm access); null for none on record. */
  lastVerifiedAt: Date | null;
}

export type SessionValidationResult = { session: Session; user: SessionUser } | { session: null; user: null };

export function generateSessionToken(): string {
  // 160 bits of randomness.
  const bytes = new Uint8Array(20);
  crypto.getRandomValues(bytes);
  return encodeBase32LowerCaseNoPadding(bytes);
}

export function sessionIdFromToken(token: string): string {
  return sha256Hex(token);
}

export async function createSession(
  db: Database,
  token: string,
  userId: string,
  userAgent: string | null = null,
  signInMethod: SignInMethod = "password",
): Promise<Session> {
  const now = Date.now();
  // Signing in or up is itself a check of who holds the session: it starts in sudo mode.
  const session: Session = {
    id: sessionIdFromToken(token),
    userId,
    expiresAt: new Date(now + SESSION_DURATION_MS),
    lastVerifiedAt: new Date(now),
  };
  await db.insert(sessions).values({ ...session, lastSeenAt: new Date(now), userAgent: userAgent?.slice(0, USER_AGENT_MAX_LENGTH) || null, signInMethod });
  return session;
}

export async function validateSessionToken(db: Database, token: string): Promise<SessionValidationResult> {
  const sessionId = sessionIdFromToken(token);
  const [row] = await db
    .select({
      session: { id: sessions.id, userId: sessions.userId, expiresAt: sessions.expiresAt, lastVerifiedAt: sessions.lastVerifiedAt },
      lastSeenAt: sessions.lastSeenAt,
      user: { id: users.id, email: users.email, firstname: users.firstname, surname: users.surname, timeZone: users.timeZone },
    })
    .from(sessions)
    .innerJoin(users, eq(sessions.userId, users.id))
    .where(eq(sessions.id, sessionId));
  if (!row) return { session: null, user: null };

  const { session, user, lastSeenAt } = row;
  const now = Date.now();
  if (now >= session.expiresAt.getTime()) {
    await db.delete(sessions).where(eq(sessions.id, session.id));
    return { session: null, user: null };
  }
  const renew = now >= session.expiresAt.getTime() - SESSION_RENEW_THRESHOLD_MS;
  const seen = now >= lastSeenAt.getTime() + SESSION_LAST_SEEN_RESOLUTION_MS;
  if (renew || seen) {
    if (renew) session.expiresAt = new Date(now + SESSION_DURATION_MS);
    await db
      .update(sessions)
      .set({ expiresAt: session.expiresAt, lastSeenAt: new Date(now) })
      .where(eq(sessions.id, session.id));
  }
  return { session, user };
}

/** Records a check of who holds the session (the Confirm access prompt): sudo mode starts again from `at`. */
export async function markSessionVerified(db: Database, sessionId: string, at: Date = new Date()): Promise<void> {
  await db.update(sessions).set({ lastVerifiedAt: at }).where(eq(sessions.id, sessionId));
}

export async function invalidateSession(db: Database, sessionId: string): Promise<void> {
  await db.delete(sessions).where(eq(sessions.id, sessionId));
}

/** Ends one of the user's sessions; another person's session id matches nothing. */
export async function invalidateUserSession(db: Database, userId: string, sessionId: string): Promise<boolean> {
  const deleted = await db
    .delete(sessions)
    .where(and(eq(sessions.userId, userId), eq(sessions.id, sessionId)))
    .returning({ id: sessions.id });
  return deleted.length > 0;
}

/** Ends every session of the user, or every one but `exceptSessionId` (the one making the request); returns how many ended. */
export async function invalidateUserSessions(db: Database, userId: string, exceptSessionId?: string): Promise<number> {
  const ended = await db
    .delete(sessions)
    .where(exceptSessionId ? and(eq(sessions.userId, userId), ne(sessions.id, exceptSessionId)) : eq(sessions.userId, userId))
    .returning({ id: sessions.id });
  return ended.length;
}

export interface SessionSummary {
  id: string;
  userAgent: string | null;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
  signInMethod: SignInMethod;
}

/** The user's live sessions, most recently seen first. */
export async function listUserSessions(db: Database, userId: string, now: Date = new Date()): Promise<SessionSummary[]> {
  const rows = await db
    .select({
      id: sessions.id,
      userAgent: sessions.userAgent,
      createdAt: sessions.createdAt,
      lastSeenAt: sessions.lastSeenAt,
      expiresAt: sessions.expiresAt,
      signInMethod: sessions.signInMethod,
    })
    .from(sessions)
    .where(eq(sessions.userId, userId))
    .orderBy(desc(sessions.lastSeenAt));
  return rows.filter((row) => row.expiresAt > now);
}

/**
 * Deletes sessions that expired (the purges job). A cookie that comes back after expiry deletes its own row, but
 * most never come back (cleared cookies, a browser thrown away), and those rows would stay for good.
 */
export async function purgeExpiredSessions(db: Database, options: PurgeOptions = {}): Promise<number> {
  const expired = sql`${sessions.expiresAt} < now()`;
  return purgeInBatches((batchSize) => deleteBatch(db, sessions, sessions.id, expired, batchSize), options);
}
