import { and, eq, isNull, ne, or } from "drizzle-orm";
import { deleteEmailLinks } from "~/server/auth/email-links";
import { verifyUserPassword } from "~/server/auth/credentials";
import { hashPassword } from "~/server/auth/password";
import { deleteRateLimitsForEmail } from "~/server/auth/rate-limit";
import { invalidateUserSessions, type SessionUser } from "~/server/auth/session";
import type { Database } from "~/server/db/client";
import { DomainError } from "~/server/domain-error";
import { WRONG_PASSWORD_MESSAGE } from "~/server/auth/messages";
import { users } from "~/server/db/schema";
import { revokeAllAccess, type RevokedAccess } from "./revoke-access";

// What someone changes about their own account on /settings.

/** Refused (not_found) when the account is gone. */
export async function updateName(db: Database, userId: string, name: { firstname: string; surname: string }): Promise<SessionUser> {
  const [user] = await db
    .update(users)
    .set(name)
    .where(eq(users.id, userId))
    .returning({ id: users.id, email: users.email, firstname: users.firstname, surname: users.surname });
  if (!user) throw new DomainError("not_found", "This account no longer exists.");
  return user;
}

/**
 * Keeps `timeZone` (already validated) as the zone the person's times are shown in. With `onlyIfUnset`, only when
 * none is stored yet: the browser's zone on a first visit never overrides one chosen in settings. Whether it changed.
 */
export async function setTimeZone(db: Database, userId: string, timeZone: string, options: { onlyIfUnset?: boolean } = {}): Promise<boolean> {
  const changed = await db
    .update(users)
    .set({ timeZone })
    .where(and(eq(users.id, userId), options.onlyIfUnset ? isNull(users.timeZone) : or(isNull(users.timeZone), ne(users.timeZone, timeZone))))
    .returning({ id: users.id });
  return changed.length > 0;
}

/**
 * Replaces the password when `currentPassword` is right. Every other session ends (whoever else was
 * signed in is out), the one making the change stays; outstanding reset links stop working. With
 * `revokeAccess`, every personal token and OAuth connection is revoked as well. A wrong password is refused (forbidden).
 */
export async function changePassword(
  db: Database,
  params: { userId: string; currentSessionId: string; currentPassword: string; newPassword: string; revokeAccess?: boolean },
): Promise<RevokedAccess> {
  if (!(await verifyUserPassword(db, params.userId, params.currentPassword))) throw new DomainError("forbidden", WRONG_PASSWORD_MESSAGE);
  const passwordHash = await hashPassword(params.newPassword);
  return db.transaction(async (tx) => {
    await tx.update(users).set({ passwordHash }).where(eq(users.id, params.userId));
    await deleteEmailLinks(tx, params.userId, "password_reset");
    const sessions = await invalidateUserSessions(tx, params.userId, params.currentSessionId);
    return { sessions, ...(params.revokeAccess ? await revokeAllAccess(tx, params.userId) : { tokens: 0, apps: 0 }) };
  });
}

/** Signs out every session but the current one and, with `revokeAccess`, revokes every token and connection too. */
export async function signOutOtherSessions(
  db: Database,
  params: { userId: string; currentSessionId: string; revokeAccess?: boolean },
): Promise<RevokedAccess> {
  return db.transaction(async (tx) => {
    const sessions = await invalidateUserSessions(tx, params.userId, params.currentSessionId);
    return { sessions, ...(params.revokeAccess ? await revokeAllAccess(tx, params.userId) : { tokens: 0, apps: 0 }) };
  });
}

/**
 * Deletes the account when `password` is right. The user row goes, and with it (ON DELETE CASCADE) every
 * session, token, booking and mailed link, so each token fails its very next request; the rate-limit
 * counters keyed by the email go too. Nothing left in the database names the person. A wrong password is refused
 * (forbidden).
 */
export async function deleteAccount(db: Database, userId: string, password: string): Promise<void> {
  if (!(await verifyUserPassword(db, userId, password))) throw new DomainError("forbidden", WRONG_PASSWORD_MESSAGE);
  await db.transaction(async (tx) => {
    const [user] = await tx.delete(users).where(eq(users.id, userId)).returning({ email: users.email });
    if (user) await deleteRateLimitsForEmail(tx, user.email);
  });
}
