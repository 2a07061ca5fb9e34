import type { Database } from "~/server/db/client";
import { purgeInBatches, type PurgeOptions } from "~/server/db/purge";
import { describeError } from "~/server/describe-error";
import { purgeOldOAuthRows } from "~/server/oauth/retention";
import { purgeActivityBatch } from "./queries";
import { log } from "~/server/observability/logger";

export type { PurgeOptions } from "~/server/db/purge";

/** Purges calls older than `retentionDays` in bounded batches; returns how many rows went. */
export async function purgeOldActivity(db: Database, retentionDays: number, options: PurgeOptions = {}): Promise<number> {
  return purgeInBatches((batchSize) => purgeActivityBatch(db, retentionDays, batchSize), options);
}

const FIRST_RUN_DELAY_MS = 60_000;
const RUN_INTERVAL_MS = 10 * 60_000;

/**
 * Runs the retention purges in the background of every instance: the activity trail's, then the OAuth rows'
 * (whose tokens are kept while the trail still names them), a minute after start, then every ten minutes. No
 * cron, and no coordination needed: batches skip rows another instance is deleting (FOR UPDATE SKIP LOCKED).
 * Returns a function that stops it.
 */
export function startActivityRetention(getDb: () => Promise<Database>, retentionDays: number): () => void {
  let timer: ReturnType<typeof setTimeout>;
  const run = async () => {
    try {
      const db = await getDb();
      const purged = await purgeOldActivity(db, retentionDays);
      if (purged > 0) log.info(`Activity trail: purged ${purged} calls older than ${retentionDays} days.`);
      const oauth = await purgeOldOAuthRows(db, retentionDays);
      if (oauth.tokens + oauth.codes > 0) {
        log.info(`OAuth: purged ${oauth.tokens} tokens and ${oauth.codes} codes that ended more than ${retentionDays} days ago.`);
      }
    } catch (error) {
      log.error(`Retention: purge failed, will retry: ${describeError(error)}`);
    }
    timer = setTimeout(() => void run(), RUN_INTERVAL_MS);
    timer.unref?.();
  };
  timer = setTimeout(() => void run(), FIRST_RUN_DELAY_MS);
  timer.unref?.();
  return () => clearTimeout(timer);
}
