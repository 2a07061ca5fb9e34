import { sql } from "drizzle-orm";
import type { Database } from "~/server/db/client";
import { describeError } from "~/server/describe-error";
import { authRateLimits } from "~/server/db/schema";

export interface RateLimitRule {
  limit: number;
  windowMs: number;
}

export type RateLimitResult = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/**
 * Counts one attempt against `key` in a fixed window and says whether it is allowed. One atomic upsert,
 * so concurrent attempts on any number of instances all count.
 */
export async function consumeRateLimit(
  db: Database,
  key: string,
  rule: RateLimitRule,
  now: Date = new Date(),
): Promise<RateLimitResult> {
  const nowParam = sql`${now.toISOString()}::timestamptz`;
  const windowExpired = sql`auth_rate_limits.window_started_at <= ${nowParam} - ${`${rule.windowMs} milliseconds`}::interval`;
  const [row] = await db
    .insert(authRateLimits)
    .values({ key, count: 1, windowStartedAt: now })
    .onConflictDoUpdate({
      target: authRateLimits.key,
      set: {
        count: sql`case when ${windowExpired} then 1 else auth_rate_limits.count + 1 end`,
        windowStartedAt: sql`case when ${windowExpired} then ${nowParam} else auth_rate_limits.window_started_at end`,
      },
    })
    .returning({ count: authRateLimits.count, windowStartedAt: authRateLimits.windowStartedAt });
  if (!row) throw new Error("rate limit upsert returned no row");
  if (row.count <= rule.limit) return { allowed: true };
  const retryAfterMs = row.windowStartedAt.getTime() + rule.windowMs - now.getTime();
  return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)) };
}

/** Counts one attempt against every key; refused if any key is over its limit, with the longest wait. */
export async function consumeRateLimits(
  db: Database,
  keys: string[],
  rule: RateLimitRule,
  now: Date = new Date(),
): Promise<RateLimitResult> {
  let longestWait = 0;
  for (const key of keys) {
    const result = await consumeRateLimit(db, key, rule, now);
    if (!result.allowed) longestWait = Math.max(longestWait, result.retryAfterSeconds);
  }
  return longestWait > 0 ? { allowed: false, retryAfterSeconds: longestWait } : { allowed: true };
}

/** Removes counters whose window ended; they would restart at 1 anyway. */
export async function deleteExpiredRateLimits(db: Database, windowMs: number, now: Date = new Date()): Promise<void> {
  await db
    .delete(authRateLimits)
    .where(sql`${authRateLimits.windowStartedAt} <= ${now.toISOString()}::timestamptz - ${`${windowMs} milliseconds`}::interval`);
}

/** Sign-in and sign-up attempts allowed per minute, per IP and per email (AUTH_RATE_LIMIT_PER_MINUTE). */
export function authAttemptRule(limit: number): RateLimitRule {
  return { limit, windowMs: 60_000 };
}

/**
 * What an attempt tries: sign in, sign up, ask for or use a reset link, or prove the current password
 * (change it, delete the account). Each kind has its own counters.
 */
export const AUTH_ATTEMPT_KINDS = ["signin", "signup", "reset", "password"] as const;
export type AuthAttemptKind = (typeof AUTH_ATTEMPT_KINDS)[number];

/** The counter keys that hold an email; deleting an account deletes them too. */
export function rateLimitKeysForEmail(email: string): string[] {
  return AUTH_ATTEMPT_KINDS.map((kind) => `${kind}:email:${email}`);
}

/**
 * Counts an attempt against the caller's IP and the email it names (none when unknown, e.g. a reset link). Every attempt
 * counts, successful ones included: simpler, and ten a minute is far above what a person needs.
 */
export async function consumeAuthAttempt(
  db: Database,
  attempt: { kind: AuthAttemptKind; ip: string; email: string | null },
  rule: RateLimitRule,
  now: Date = new Date(),
): Promise<RateLimitResult> {
  const keys = [`${attempt.kind}:ip:${attempt.ip}`];
  if (attempt.email !== null) keys.push(`${attempt.kind}:email:${attempt.email}`);
  // Stale counters are harmless (they restart at 1) but would pile up; sweep now and then, without making
  // this attempt wait for it or fail with it.
  if (Math.random() < 0.01) {
    deleteExpiredRateLimits(db, rule.windowMs, now).catch((error: unknown) => {
      console.error(`Sweeping expired rate limits failed: ${describeError(error)}`);
    });
  }
  return consumeRateLimits(db, keys, rule, now);
}
