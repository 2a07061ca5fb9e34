import type { Database } from "~/server/db/client";
import { sql } from "drizzle-orm";
import { deleteBatch, purgeInBatches, type PurgeOptions } from "~/server/db/purge";
import { mcpActivityRollup, mcpCallWindows, mcpPersonCallWindows } from "~/server/db/schema";
import type { BackgroundJob } from "~/server/jobs/scheduler";
import { purgeOldOAuthRows } from "~/server/oauth/retention";
import { purgeActivityBatch } from "./queries";
import { log } from "~/server/observability/logger";

export type { PurgeOptions } from "~/server/db/purge";

/** Purges calls older than `retentionDays` in bounded batches; returns how many rows went. */
export async function purgeOldActivity(db: Database, retentionDays: number, options: PurgeOptions = {}): Promise<number> {
  return purgeInBatches((batchSize) => purgeActivityBatch(db, retentionDays, batchSize), options);
}

/** The charts show 30 days in any zone: the roll-up keeps at least this many days whatever the trail's retention. */
export const ACTIVITY_ROLLUP_MIN_DAYS = 32;

/**
 * Purges the roll-up's counts older than the trail's retention, and never those of the last
 * ACTIVITY_ROLLUP_MIN_DAYS days; returns how many rows went.
 */
export async function purgeOldActivityRollup(db: Database, retentionDays: number, options: PurgeOptions = {}): Promise<number> {
  const keptDays = Math.max(retentionDays, ACTIVITY_ROLLUP_MIN_DAYS);
  const old = sql`${mcpActivityRollup.quarterHour} < now() - make_interval(days => ${keptDays})`;
  const key = [mcpActivityRollup.tokenId, mcpActivityRollup.quarterHour, mcpActivityRollup.outcome];
  return purgeInBatches((batchSize) => deleteBatch(db, mcpActivityRollup, key, old, batchSize), options);
}

/**
 * Deletes the per-token and per-person windows that started more than a day ago (tokens and people that stopped
 * calling), in bounded batches: the background purges job. A window is a minute; the next call starts a new one.
 * The windows are the MCP shared call budget's (mcp/shared-call-budget.ts); their retention lives here, with the
 * other records of calls, so that the jobs need not import the MCP adapter.
 */
export async function purgeStaleCallWindows(db: Database, options: PurgeOptions = {}): Promise<number> {
  const tokens = await purgeInBatches(
    (batchSize) => deleteBatch(db, mcpCallWindows, mcpCallWindows.tokenId, sql`${mcpCallWindows.windowStartedAt} < now() - interval '1 day'`, batchSize),
    options,
  );
  const people = await purgeInBatches(
    (batchSize) =>
      deleteBatch(db, mcpPersonCallWindows, mcpPersonCallWindows.userId, sql`${mcpPersonCallWindows.windowStartedAt} < now() - interval '1 day'`, batchSize),
    options,
  );
  return tokens + people;
}

/**
 * The retention purges, every ten minutes on every instance: the activity trail's and its roll-up's, then the OAuth rows' (whose
 * tokens are kept while the trail still names them). No coordination needed: batches skip rows another instance
 * is deleting (FOR UPDATE SKIP LOCKED).
 */
export function activityRetentionJob(retentionDays: number): BackgroundJob {
  return {
    name: "retention",
    intervalMs: 10 * 60_000,
    async run({ db, signal }) {
      const purged = await purgeOldActivity(db, retentionDays, { signal });
      if (purged > 0) log.info(`Activity trail: purged ${purged} calls older than ${retentionDays} days.`);
      const counts = await purgeOldActivityRollup(db, retentionDays, { signal });
      if (counts > 0) log.info(`Activity roll-up: purged ${counts} counts of quarter hours.`);
      const oauth = await purgeOldOAuthRows(db, retentionDays, { signal });
      if (oauth.tokens + oauth.codes > 0) {
        log.info(`OAuth: purged ${oauth.tokens} tokens and ${oauth.codes} codes that ended more than ${retentionDays} days ago.`);
      }
    },
  };
}
