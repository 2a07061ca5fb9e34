import "server-only";
import { cookies } from "next/headers";
import { cache } from "react";
import { getDb, isDatabaseUnavailable } from "~/server/db";
import { SESSION_COOKIE_NAME, validateSessionToken, type SessionUser, type SessionValidationResult } from "./session";

/** The signed-in user for server components, validated once per request. */
export const getCurrentSession = cache(async (): Promise<SessionValidationResult> => {
  const token = (await cookies()).get(SESSION_COOKIE_NAME)?.value;
  if (!token) return { session: null, user: null };
  return validateSessionToken(await getDb(), token);
});

/**
 * The signed-in user, or null also when the database is unreachable: for public pages that only adapt to
 * a session (home, sign-in) and should still render during an outage.
 */
export async function getCurrentUserIfAvailable(): Promise<SessionUser | null> {
  try {
    return (await getCurrentSession()).user;
  } catch (error) {
    if (isDatabaseUnavailable(error)) return null;
    throw error;
  }
}
