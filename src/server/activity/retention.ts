import type { Database } from "~/server/db/client";
import { purgeInBatches, type PurgeOptions } from "~/server/db/purge";
import type { BackgroundJob } from "~/server/jobs/scheduler";
import { purgeOldOAuthRows } from "~/server/oauth/retention";
import { purgeActivityBatch } from "./queries";
import { log } from "~/server/observability/logger";

export type { PurgeOptions } from "~/server/db/purge";

/** Purges calls older than `retentionDays` in bounded batches; returns how many rows went. */
export async function purgeOldActivity(db: Database, retentionDays: number, options: PurgeOptions = {}): Promise<number> {
  return purgeInBatches((batchSize) => purgeActivityBatch(db, retentionDays, batchSize), options);
}

/**
 * The retention purges, every ten minutes on every instance: the activity trail's, then the OAuth rows' (whose
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
      const oauth = await purgeOldOAuthRows(db, retentionDays, { signal });
      if (oauth.tokens + oauth.codes > 0) {
        log.info(`OAuth: purged ${oauth.tokens} tokens and ${oauth.codes} codes that ended more than ${retentionDays} days ago.`);
      }
    },
  };
}
