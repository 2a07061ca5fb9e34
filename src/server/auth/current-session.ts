import "server-only";
import { headers } from "next/headers";
import { cache } from "react";
import { describeError } from "~/server/describe-error";
import { isDatabaseUnavailable, withDb } from "~/server/db";
import { readSessionCookie } from "./cookie";
import { validateSessionToken, type SessionUser, type SessionValidationResult } from "./session";

/** The signed-in user for server components, validated once per request. */
export const getCurrentSession = cache(async (): Promise<SessionValidationResult> => {
  // The same parser as proxy.ts and tRPC (not Next's cookies(), which keeps the last of two duplicates).
  const cookie = readSessionCookie((await headers()).get("cookie"));
  if (cookie.kind !== "one" || !cookie.token) return { session: null, user: null };
  const token = cookie.token;
  try {
    return await withDb((db) => validateSessionToken(db, token), { pool: "auth" });
  } catch (error) {
    // Next.js logs a render error whole, and a failed query's message lists its parameters: here the
    // session id. Rethrow a description without the cause; keep the code so outages stay recognisable.
    throw Object.assign(new Error(`Session lookup failed: ${describeError(error)}`), {
      code: isDatabaseUnavailable(error) ? "DATABASE_UNAVAILABLE" : undefined,
    });
  }
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
