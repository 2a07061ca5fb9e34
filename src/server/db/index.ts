import "server-only";
import { env } from "~/env";
import { describeDatabase, openDatabase, type Database, type DatabaseConfig, type DatabaseHandle, type PoolUsage } from "./client";
import { withDatabaseDeadline } from "./deadline";
import { processSingleton } from "~/server/process-singleton";

export type { Database } from "./client";
export { isDatabaseUnavailable } from "./client";
export { withDatabaseDeadline } from "./deadline";

// The one open database of the process. A failed open is not kept: the next call tries again.
const appDatabase = processSingleton<{ opening?: Promise<DatabaseHandle> }>("appDatabase", () => ({}));

function openAppDatabase(): Promise<DatabaseHandle> {
  const opening = (async () => {
    const handle = await openDatabase(appDatabaseConfig());
    try {
      await handle.migrate();
    } catch (error) {
      await handle.close().catch(() => {});
      throw error;
    }
    return handle;
  })();
  opening.catch(() => {
    if (appDatabase.opening === opening) appDatabase.opening = undefined;
  });
  return opening;
}

/** The app's database, migrated. Opened on first use (server start, see instrumentation-node.ts). */
export async function getDb(): Promise<Database> {
  appDatabase.opening ??= openAppDatabase();
  return (await appDatabase.opening).db;
}

/**
 * The app's database over the authentication pool: token verification, session lookups, revocation.
 * Tool queries never run here, so a flood of them cannot keep anyone from signing in or revoking.
 */
export async function getAuthDb(): Promise<Database> {
  appDatabase.opening ??= openAppDatabase();
  return (await appDatabase.opening).authDb;
}

/**
 * `work` on the app's database, or its authentication pool with `pool: "auth"`, within one database deadline that
 * counts opening the database too: how a page or a route outside tRPC reads or writes.
 */
export function withDb<T>(work: (db: Database) => Promise<T>, options: { pool?: "app" | "auth"; deadlineMs?: number } = {}): Promise<T> {
  return withDatabaseDeadline((async () => work(await (options.pool === "auth" ? getAuthDb() : getDb())))(), options.deadlineMs);
}

function appDatabaseConfig(): DatabaseConfig {
  return env.DATABASE_URL
    ? {
        engine: "postgres",
        url: env.DATABASE_URL,
        maxConnections: env.DATABASE_POOL_MAX,
        authConnections: env.DATABASE_AUTH_POOL_MAX,
        statementTimeoutMs: env.DATABASE_STATEMENT_TIMEOUT_MS,
      }
    : { engine: "pglite", dataDir: env.PGLITE_DIR };
}

/** The PostgreSQL pools' connections in use and queries waiting (the metrics); none before the database is open, or on PGlite. */
export async function databasePoolUsage(): Promise<PoolUsage[]> {
  const { opening } = appDatabase;
  if (!opening) return [];
  try {
    return (await opening).poolUsage();
  } catch {
    return [];
  }
}

/** Which database this instance uses, for the start-up log. */
export function describeAppDatabase(): string {
  return describeDatabase(appDatabaseConfig());
}
