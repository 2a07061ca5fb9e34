import { sql } from "drizzle-orm";
import type { Database } from "~/server/db/client";
import { withDatabaseDeadline } from "~/server/db/deadline";
import { apiTokens, bookings, mcpActivity, oauthCodes } from "~/server/db/schema";

// Purging what OAuth leaves behind (issue 18, hole 2): every refresh adds a pair of api_tokens rows and every
// consent a code. Rows that ended more than the retention period ago go, in bounded batches, by every instance
// (FOR UPDATE SKIP LOCKED: instances never wait on each other), with the activity trail's own schedule.
// Kept: the grants (the connected apps, revoked ones included, are the audit trail), and any token a call in
// the activity trail or a booking still names (the trail shows a call's app through its token row; a booking
// shows the app that made it), so neither ever loses its name.

export interface OAuthPurgeOptions {
  /** Rows per DELETE: small enough that a batch holds its locks for milliseconds. */
  batchSize?: number;
  /** Batches per table per run; what is left waits for the next run. */
  maxBatches?: number;
}

/** Purges OAuth tokens and codes that ended more than `retentionDays` ago; returns how many rows went. */
export async function purgeOldOAuthRows(db: Database, retentionDays: number, options: OAuthPurgeOptions = {}): Promise<{ tokens: number; codes: number }> {
  const batchSize = options.batchSize ?? 1000;
  const maxBatches = options.maxBatches ?? 50;
  const tokens = await inBatches(() => purgeTokenBatch(db, retentionDays, batchSize), batchSize, maxBatches);
  const codes = await inBatches(() => purgeCodeBatch(db, retentionDays, batchSize), batchSize, maxBatches);
  return { tokens, codes };
}

async function inBatches(batch: () => Promise<number>, batchSize: number, maxBatches: number): Promise<number> {
  let purged = 0;
  for (let run = 0; run < maxBatches; run++) {
    const deleted = await withDatabaseDeadline(batch());
    purged += deleted;
    if (deleted < batchSize) break;
    // Let requests have the database between batches.
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return purged;
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
  return rowCount(result);
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
  return rowCount(result);
}

function rowCount(result: unknown): number {
  // postgres-js returns the rows as an array; PGlite returns { rows }.
  if (Array.isArray(result)) return result.length;
  const rows = (result as { rows?: unknown[] }).rows;
  return rows?.length ?? 0;
}
