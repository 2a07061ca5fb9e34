import { randomBytes } from "node:crypto";
import { inject } from "vitest";
import { openDatabase, type Database, type DatabaseHandle } from "~/server/db/client";
import { testDatabaseUrl } from "./env";
import { createPostgresDatabase, type ScratchDatabase } from "./postgres-database";

export type Engine = "pglite" | "postgres";

/** Integration tests run on PGlite always, and on PostgreSQL too when TEST_DATABASE_URL is set. */
export const engines: Engine[] = testDatabaseUrl ? ["pglite", "postgres"] : ["pglite"];

export interface TestDatabase {
  engine: Engine;
  db: Database;
  handle: DatabaseHandle;
  /** Connection string of the fresh PostgreSQL database; undefined on PGlite. */
  url: string | undefined;
  close(): Promise<void>;
}

/** Prefix shared by every database this test run creates; global-setup drops them all at the end. */
export function testDatabasePrefix(): string {
  return `carestral_test_${inject("testRunId")}`;
}

/** Creates an empty PostgreSQL database on the test server and returns its URL and a dropper. */
export async function createEmptyPostgresDatabase(): Promise<ScratchDatabase> {
  if (!testDatabaseUrl) throw new Error("TEST_DATABASE_URL is not set");
  return createPostgresDatabase(testDatabaseUrl, `${testDatabasePrefix()}_${randomBytes(4).toString("hex")}`);
}

/** A fresh, migrated database on the given engine. Call close() in afterAll. */
export async function createTestDatabase(engine: Engine): Promise<TestDatabase> {
  if (engine === "pglite") {
    const handle = await openDatabase({ engine: "pglite" });
    await handle.migrate();
    return { engine, db: handle.db, handle, url: undefined, close: () => handle.close() };
  }
  const created = await createEmptyPostgresDatabase();
  const handle = await openDatabase({ engine: "postgres", url: created.url, maxConnections: 20 });
  try {
    await handle.migrate();
  } catch (error) {
    await handle.close();
    await created.drop();
    throw error;
  }
  return {
    engine,
    db: handle.db,
    handle,
    url: created.url,
    async close() {
      await handle.close();
      await created.drop();
    },
  };
}
