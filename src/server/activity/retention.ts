import type { Database } from "~/server/db/client";
import { withDatabaseDeadline } from "~/server/db/deadline";
import { describeError } from "~/server/describe-error";
import { purgeActivityBatch } from "./queries";
import { log } from "~/server/observability/logger";

export interface PurgeOptions {
  /** Rows per DELETE: small enough that a batch holds its locks for milliseconds. */
  batchSize?: number;
  /** Batches per run; what is left waits for the next run. */
  maxBatches?: number;
}

/** Purges calls older than `retentionDays` in bounded batches; returns how many rows went. */
export async function purgeOldActivity(db: Database, retentionDays: number, options: PurgeOptions = {}): Promise<number> {
  const batchSize = options.batchSize ?? 1000;
  const maxBatches = options.maxBatches ?? 50;
  let purged = 0;
  for (let batch = 0; batch < maxBatches; batch++) {
    const deleted = await withDatabaseDeadline(purgeActivityBatch(db, retentionDays, batchSize));
    purged += deleted;
    if (deleted < batchSize) break;
    // Let requests have the database between batches.
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return purged;
}

const FIRST_RUN_DELAY_MS = 60_000;
const RUN_INTERVAL_MS = 10 * 60_000;

/**
 * Runs the purge in the background of every instance: a minute after start, then every ten minutes. No
 * cron, and no coordination needed: batches skip rows another instance is deleting (FOR UPDATE SKIP LOCKED).
 * Returns a function that stops it.
 */
export function startActivityRetention(getDb: () => Promise<Database>, retentionDays: number): () => void {
  let timer: ReturnType<typeof setTimeout>;
  const run = async () => {
    try {
      const purged = await purgeOldActivity(await getDb(), retentionDays);
      if (purged > 0) log.info(`Activity trail: purged ${purged} calls older than ${retentionDays} days.`);
    } catch (error) {
      log.error(`Activity trail: purge failed, will retry: ${describeError(error)}`);
    }
    timer = setTimeout(() => void run(), RUN_INTERVAL_MS);
    timer.unref?.();
  };
  timer = setTimeout(() => void run(), FIRST_RUN_DELAY_MS);
  timer.unref?.();
  return () => clearTimeout(timer);
}
