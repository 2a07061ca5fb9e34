import "server-only";
import { sql } from "drizzle-orm";
import { getDb, withDatabaseDeadline } from "~/server/db";

export interface HealthReport {
  status: "ok" | "down";
  database: "up" | "down";
}

const HEALTH_DEADLINE_MS = 3000;

/** Answers within a few seconds whatever the database does. */
export async function checkHealth(): Promise<HealthReport> {
  try {
    await withDatabaseDeadline(
      (async () => {
        const db = await getDb();
        await db.execute(sql`select 1`);
      })(),
      HEALTH_DEADLINE_MS,
    );
    return { status: "ok", database: "up" };
  } catch {
    return { status: "down", database: "down" };
  }
}
