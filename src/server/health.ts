import "server-only";
import { sql } from "drizzle-orm";
import { getDb } from "~/server/db";

export interface HealthReport {
  status: "ok" | "down";
  database: "up" | "down";
}

const HEALTH_TIMEOUT_MS = 3000;

/** Answers within a few seconds whatever the database does. */
export async function checkHealth(): Promise<HealthReport> {
  const probe = (async () => {
    const db = await getDb();
    await db.execute(sql`select 1`);
  })();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("database health check timed out")), HEALTH_TIMEOUT_MS);
  });
  try {
    await Promise.race([probe, timeout]);
    return { status: "ok", database: "up" };
  } catch {
    probe.catch(() => {});
    return { status: "down", database: "down" };
  } finally {
    clearTimeout(timer);
  }
}
