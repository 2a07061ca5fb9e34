import { eq, inArray, like, or, sql } from "drizzle-orm";
import type { Database, DatabaseOrTransaction } from "~/server/db/client";
import { deleteBatch, purgeInBatches, type PurgeOptions } from "~/server/db/purge";
import { authRateLimits } from "~/server/db/schema";

export interface RateLimitRule {
  limit: number;
  windowMs: number;
}

export type RateLimitResult = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/**
 * Counts one attempt against `key` in a fixed window and says whether it is allowed. One atomic upsert,
 * so concurrent attempts on any number of instances all count; once the key is over its limit, attempts are
 * refused by a read alone (consumeRateLimits).
 */
export async function consumeRateLimit(
  db: Database,
  key: string,
  rule: RateLimitRule,
  now: Date = new Date(),
): Promise<RateLimitResult> {
  return consumeRateLimits(db, [{ key, rule }], now);
}

async function countAttempt(db: Database, key: string, rule: RateLimitRule, now: Date): Promise<RateLimitResult> {
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
  return refusalOf(row, rule, now);
}

function refusalOf(row: { count: number; windowStartedAt: Date }, rule: RateLimitRule, now: Date): RateLimitResult {
  if (row.count <= rule.limit) return { allowed: true };
  const retryAfterMs = row.windowStartedAt.getTime() + rule.windowMs - now.getTime();
  return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)) };
}

/**
 * Counts one attempt against every key under its own rule; refused if any is over, with the longest wait.
 * A key already at its limit in its current window refuses the attempt after one read, writing nothing: a
 * flood of refused attempts must not cost a write each (issue 19, item 6).
 */
export async function consumeRateLimits(
  db: Database,
  limits: { key: string; rule: RateLimitRule }[],
  now: Date = new Date(),
): Promise<RateLimitResult> {
  if (limits.length === 0) return { allowed: true };
  const current = await db
    .select({ key: authRateLimits.key, count: authRateLimits.count, windowStartedAt: authRateLimits.windowStartedAt })
    .from(authRateLimits)
    .where(inArray(authRateLimits.key, limits.map(({ key }) => key)));
  let longestWait = 0;
  for (const row of current) {
    const rule = limits.find(({ key }) => key === row.key)?.rule;
    if (!rule || row.windowStartedAt.getTime() + rule.windowMs <= now.getTime()) continue;
    const result = refusalOf({ ...row, count: row.count + 1 }, rule, now);
    if (!result.allowed) longestWait = Math.max(longestWait, result.retryAfterSeconds);
  }
  if (longestWait > 0) return { allowed: false, retryAfterSeconds: longestWait };

  for (const { key, rule } of limits) {
    const result = await countAttempt(db, key, rule, now);
    if (!result.allowed) longestWait = Math.max(longestWait, result.retryAfterSeconds);
  }
  return longestWait > 0 ? { allowed: false, retryAfterSeconds: longestWait } : { allowed: true };
}

/**
 * Deletes counters whose window started more than a day ago (the background purges job), in bounded batches.
 * Every window is shorter than that (a minute today): a counter of a longer window would be cut short here.
 */
export async function purgeStaleRateLimits(db: Database, options: PurgeOptions = {}): Promise<number> {
  const stale = sql`${authRateLimits.windowStartedAt} < now() - interval '1 day'`;
  return purgeInBatches((batchSize) => deleteBatch(db, authRateLimits, authRateLimits.key, stale, batchSize), options);
}

/** Sign-in and sign-up attempts allowed per minute, per client and per (email, client) (AUTH_RATE_LIMIT_PER_MINUTE). */
export function authAttemptRule(limit: number): RateLimitRule {
  return { limit, windowMs: 60_000 };
}

/**
 * Second-factor codes (authenticator app, recovery code) tried per account, from anywhere: six digits are few,
 * so the limit is per account, not per client; a password alone can hold the owner back for at most this window.
 */
export const SECOND_FACTOR_ATTEMPT_RULE: RateLimitRule = { limit: 5, windowMs: 15 * 60_000 };

export function secondFactorAttemptKey(userId: string): string {
  return `second-factor:user:${userId}`;
}

/** Forgets a key's attempts: after a second factor was passed, its owner starts afresh. */
export async function resetRateLimit(db: Database, key: string): Promise<void> {
  await db.delete(authRateLimits).where(eq(authRateLimits.key, key));
}

/** How many times the per-client limit one email may take per minute from all clients together. */
export const EMAIL_CEILING_FACTOR = 10;

/**
 * What an attempt tries: sign in, sign up, ask for or use a reset link, or prove the current password
 * (change it, delete the account). Each kind has its own counters.
 */
export const AUTH_ATTEMPT_KINDS = ["signin", "signup", "reset", "password"] as const;
export type AuthAttemptKind = (typeof AUTH_ATTEMPT_KINDS)[number];

/** Deletes every counter whose key holds `email` (per email, and per email and client): account deletion. */
export async function deleteRateLimitsForEmail(db: DatabaseOrTransaction, email: string): Promise<void> {
  const perEmail = AUTH_ATTEMPT_KINDS.map((kind) => `${kind}:email:${email}`);
  const perEmailAndClient = AUTH_ATTEMPT_KINDS.map((kind) => `${escapeLike(`${kind}:email-ip:${email}|`)}%`);
  await db.delete(authRateLimits).where(or(inArray(authRateLimits.key, perEmail), ...perEmailAndClient.map((pattern) => like(authRateLimits.key, pattern))));
}

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (char) => `\\${char}`);
}

/**
 * Counts an attempt of any kind. The tight limit is keyed on the client and on (email, client), so
 * somebody guessing from elsewhere cannot lock the owner out; a per-email ceiling ten times higher still
 * stops guessing spread over many addresses. No email (e.g. using a reset link) means only the client's
 * key; an unknown client (no socket address) has no per-client key. Every attempt counts, successful ones
 * included: simpler, and far above what a person needs.
 */
export async function consumeAuthAttempt(
  db: Database,
  attempt: { kind: AuthAttemptKind; ip: string; email: string | null },
  rule: RateLimitRule,
  now: Date = new Date(),
): Promise<RateLimitResult> {
  const { kind, ip, email } = attempt;
  const limits: { key: string; rule: RateLimitRule }[] = [];
  if (email !== null) {
    limits.push(
      { key: `${kind}:email-ip:${email}|${ip}`, rule },
      { key: `${kind}:email:${email}`, rule: { ...rule, limit: rule.limit * EMAIL_CEILING_FACTOR } },
    );
  }
  if (ip !== "unknown") limits.push({ key: `${kind}:ip:${ip}`, rule });
  return consumeRateLimits(db, limits, now);
}
