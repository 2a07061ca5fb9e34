import { withDatabaseDeadline } from "./deadline";

// Background purges (the activity trail's retention, OAuth rows): bounded batches, each under the database
// deadline, with a pause between them so requests have the database.

export interface PurgeOptions {
  /** Rows per DELETE: small enough that a batch holds its locks for milliseconds. */
  batchSize?: number;
  /** Batches per run; what is left waits for the next run. */
  maxBatches?: number;
  /** Stops between batches once aborted (the instance is stopping); what is left waits for another run. */
  signal?: AbortSignal;
}

/** Runs `deleteBatch(batchSize)` until it deletes fewer than a batch or `maxBatches` ran; returns the rows deleted. */
export async function purgeInBatches(deleteBatch: (batchSize: number) => Promise<number>, options: PurgeOptions = {}): Promise<number> {
  const batchSize = options.batchSize ?? 1000;
  const maxBatches = options.maxBatches ?? 50;
  let purged = 0;
  for (let batch = 0; batch < maxBatches && !options.signal?.aborted; batch++) {
    const deleted = await withDatabaseDeadline(deleteBatch(batchSize));
    purged += deleted;
    if (deleted < batchSize) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return purged;
}

/** The rows a `delete … returning` gave back: postgres-js returns them as an array; PGlite returns { rows }. */
export function returnedRowCount(result: unknown): number {
  if (Array.isArray(result)) return result.length;
  const rows = (result as { rows?: unknown[] }).rows;
  return rows?.length ?? 0;
}
