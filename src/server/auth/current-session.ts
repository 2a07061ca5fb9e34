import "server-only";
import { cookies } from "next/headers";
import { cache } from "react";
import { getDb } from "~/server/db";
import { SESSION_COOKIE_NAME, validateSessionToken, type SessionValidationResult } from "./session";

/** The signed-in user for server components, validated once per request. */
export const getCurrentSession = cache(async (): Promise<SessionValidationResult> => {
  const token = (await cookies()).get(SESSION_COOKIE_NAME)?.value;
  if (!token) return { session: null, user: null };
  return validateSessionToken(await getDb(), token);
});
