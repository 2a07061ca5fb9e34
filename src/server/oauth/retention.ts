import { sql } from "drizzle-orm";
import type { Database } from "~/server/db/client";
import { purgeInBatches, returnedRowCount, type PurgeOptions } from "~/server/db/purge";
import { apiTokens, bookings, mcpActivity, oauthCodes } from "~/server/db/schema";

// Purging what OAuth leaves behind (issue 18, hole 2): every refresh adds a pair of api_tokens rows and every
// consent a code. Rows that ended more than the retention period ago go, in bounded batches, by every instance
// (FOR UPDATE SKIP LOCKED: instances never wait on each other), with the activity trail's own schedule.
// Kept: the grants (the connected apps, revoked ones included, are the audit trail), and any token a call in
// the activity trail or a booking still names (the trail shows a call's app through its token row; a booking
// shows the app that made it), so neither ever loses its name.

/** Purges OAuth tokens and codes that ended more than `retentionDays` ago; returns how many rows went. */
export async function purgeOldOAuthRows(db: Database, retentionDays: number, options: PurgeOptions = {}): Promise<{ tokens: number; codes: number }> {
  const tokens = await purgeInBatches((batchSize) => purgeTokenBatch(db, retentionDays, batchSize), options);
  const codes = await purgeInBatches((batchSize) => purgeCodeBatch(db, retentionDays, batchSize), options);
  return { tokens, codes };
}

/**
 * Access and refresh tokens whose expiry is more than `retentionDays` past. Every OAuth token has an expiry,
 * and a revoked one ended before it, so this is the later of the two ends: a rotated refresh token stays until
 * it would have expired, and presenting it until then is still caught as reuse.
 */
async function purgeTokenBatch(db: Database, retentionDays: number, batchSize: number): Promise<number> {
  const result = await db.execute(sql`
    delete from ${apiTokens} where ${apiTokens.id} in (
      select t.id from ${apiTokens} t
      where t.kind in ('oauth_access', 'oauth_refresh')
        and t.expires_at < now() - make_interval(days => ${retentionDays})
        and not exists (select 1 from ${mcpActivity} a where a.token_id = t.id)
        and not exists (select 1 from ${bookings} b where b.created_by_token_id = t.id)
      limit ${batchSize}
      for update of t skip locked
    ) returning 1`);
  return returnedRowCount(result);
}

/** Authorization codes (spent or not) that expired more than `retentionDays` ago. */
async function purgeCodeBatch(db: Database, retentionDays: number, batchSize: number): Promise<number> {
  const result = await db.execute(sql`
    delete from ${oauthCodes} where ${oauthCodes.codeHash} in (
      select c.code_hash from ${oauthCodes} c
      where c.expires_at < now() - make_interval(days => ${retentionDays})
      limit ${batchSize}
      for update skip locked
    ) returning 1`);
  return returnedRowCount(result);
}
