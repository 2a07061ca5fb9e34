import { sql, type SQL } from "drizzle-orm";
import type { PgColumn, PgTable } from "drizzle-orm/pg-core";
import type { Database } from "./client";
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

/**
 * Deletes up to `batchSize` rows of `table` matching `where` (which names the table's own columns), found by `key`
 * (the primary key's column, or columns). Rows another instance's batch holds are skipped (FOR UPDATE SKIP LOCKED), so instances
 * purging at once share the work and never wait on each other. Returns how many rows went.
 */
export async function deleteBatch(db: Database, table: PgTable, key: PgColumn | PgColumn[], where: SQL, batchSize: number): Promise<number> {
  const columns = sql.join(Array.isArray(key) ? key : [key], sql`, `);
  const result = await db.execute(sql`
    delete from ${table} where (${columns}) in (
      select ${columns} from ${table} where ${where}
      limit ${batchSize}
      for update skip locked
    ) returning 1`);
  return returnedRowCount(result);
}
