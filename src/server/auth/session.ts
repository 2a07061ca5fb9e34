import { encodeBase32LowerCaseNoPadding } from "@oslojs/encoding";
import { eq } from "drizzle-orm";
import type { Database } from "~/server/db/client";
import { sessions, users } from "~/server/db/schema";
import { sha256Hex } from "~/server/hash";

// Sessions as the Lucia guide teaches (lucia-auth.com/sessions/basic): a random token in the cookie,
// its SHA-256 as the row id, so a leaked database cannot be replayed as cookies.

const DAY_MS = 24 * 60 * 60 * 1000;
export const SESSION_DURATION_MS = 30 * DAY_MS;
/** A session is extended when fewer than this many milliseconds remain. */
export const SESSION_RENEW_THRESHOLD_MS = 15 * DAY_MS;

export interface SessionUser {
  id: string;
  email: string;
  firstname: string;
  surname: string;
}

export interface Session {
  id: string;
  userId: string;
  expiresAt: Date;
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

export async function createSession(db: Database, token: string, userId: string): Promise<Session> {
  const session: Session = {
    id: sessionIdFromToken(token),
    userId,
    expiresAt: new Date(Date.now() + SESSION_DURATION_MS),
  };
  await db.insert(sessions).values(session);
  return session;
}

export async function validateSessionToken(db: Database, token: string): Promise<SessionValidationResult> {
  const sessionId = sessionIdFromToken(token);
  const [row] = await db
    .select({
      session: { id: sessions.id, userId: sessions.userId, expiresAt: sessions.expiresAt },
      user: { id: users.id, email: users.email, firstname: users.firstname, surname: users.surname },
    })
    .from(sessions)
    .innerJoin(users, eq(sessions.userId, users.id))
    .where(eq(sessions.id, sessionId));
  if (!row) return { session: null, user: null };

  const { session, user } = row;
  const now = Date.now();
  if (now >= session.expiresAt.getTime()) {
    await db.delete(sessions).where(eq(sessions.id, session.id));
    return { session: null, user: null };
  }
  if (now >= session.expiresAt.getTime() - SESSION_RENEW_THRESHOLD_MS) {
    session.expiresAt = new Date(now + SESSION_DURATION_MS);
    await db.update(sessions).set({ expiresAt: session.expiresAt }).where(eq(sessions.id, session.id));
  }
  return { session, user };
}

export async function invalidateSession(db: Database, sessionId: string): Promise<void> {
  await db.delete(sessions).where(eq(sessions.id, sessionId));
}
