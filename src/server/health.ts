import "server-only";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { sql } from "drizzle-orm";
import { withDb, type Database } from "~/server/db";
import { migrationsFolder } from "~/server/db/client";

export interface HealthReport {
  status: "ok" | "down";
  database: "up" | "down";
}

export interface ReadinessReport {
  status: "ready" | "not_ready";
  database: "up" | "down";
  migrations: "applied" | "pending" | "unknown";
  /** Set while the instance stops (SIGTERM): it finishes what it has and takes nothing new. */
  stopping?: true;
}

const HEALTH_DEADLINE_MS = 3000;

/** Answers within a few seconds whatever the database does. */
export async function checkHealth(): Promise<HealthReport> {
  try {
    await withDb((db) => db.execute(sql`select 1`), { deadlineMs: HEALTH_DEADLINE_MS });
    return { status: "ok", database: "up" };
  } catch {
    return { status: "down", database: "down" };
  }
}

// server.mjs sets it when a signal arrives: a load balancer polling readiness stops sending before the socket closes.
const STOPPING = Symbol.for("carestral.stopping");

/**
 * Whether this instance can serve: the database answers and holds every migration this build ships (a database
 * restored from an older backup, or migrated by nobody, is not ready), and the instance is not stopping.
 */
export async function checkReadiness(): Promise<ReadinessReport> {
  const stopping = (globalThis as { [STOPPING]?: boolean })[STOPPING] === true;
  let report: ReadinessReport;
  try {
    report = await withDb(
      async (db): Promise<ReadinessReport> => {
        const [expected, applied] = await Promise.all([shippedMigrationCount(), appliedMigrationCount(db)]);
        const migrations = applied === null ? "unknown" : applied >= expected ? "applied" : "pending";
        return { status: migrations === "applied" ? "ready" : "not_ready", database: "up", migrations };
      },
      { deadlineMs: HEALTH_DEADLINE_MS },
    );
  } catch {
    report = { status: "not_ready", database: "down", migrations: "unknown" };
  }
  return stopping ? { ...report, status: "not_ready", stopping: true } : report;
}

let shipped: Promise<number> | undefined;

/** The migrations in this build's drizzle/ folder (its journal lists each once). */
function shippedMigrationCount(): Promise<number> {
  shipped ??= readFile(path.join(migrationsFolder, "meta", "_journal.json"), "utf8").then(
    (text) => (JSON.parse(text) as { entries: unknown[] }).entries.length,
  );
  return shipped;
}

/** Rows in Drizzle's own record of applied migrations (the same table on PostgreSQL and PGlite), or null without it. */
async function appliedMigrationCount(db: Database): Promise<number | null> {
  try {
    const result = await db.execute<{ count: number | string }>(sql`select count(*)::int as count from drizzle.__drizzle_migrations`);
    const rows = Array.isArray(result) ? result : (result as { rows: { count: number | string }[] }).rows;
    return Number(rows[0]?.count ?? 0);
  } catch {
    return null;
  }
}
