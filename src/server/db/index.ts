import "server-only";
import { env } from "~/env";
import { openDatabase, type Database, type DatabaseHandle } from "./client";

export type { Database } from "./client";
export { isDatabaseUnavailable } from "./client";
export { withDatabaseDeadline } from "./deadline";

// Next.js may load this module more than once (dev reloads, several bundles), so the one open database
// lives on globalThis. A failed open is not cached: the next call tries again.
const globalForDb = globalThis as unknown as { carestralDb?: Promise<DatabaseHandle> };

function openAppDatabase(): Promise<DatabaseHandle> {
  const opening = (async () => {
    const handle = await openDatabase(
      env.DATABASE_URL ? { engine: "postgres", url: env.DATABASE_URL, maxConnections: env.DATABASE_POOL_MAX } : { engine: "pglite", dataDir: env.PGLITE_DIR },
    );
    try {
      await handle.migrate();
    } catch (error) {
      await handle.close().catch(() => {});
      throw error;
    }
    return handle;
  })();
  opening.catch(() => {
    if (globalForDb.carestralDb === opening) globalForDb.carestralDb = undefined;
  });
  return opening;
}

/** The app's database, migrated. Opened on first use (server start, see instrumentation.ts). */
export async function getDb(): Promise<Database> {
  globalForDb.carestralDb ??= openAppDatabase();
  return (await globalForDb.carestralDb).db;
}
