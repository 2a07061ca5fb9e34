import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { processSingleton } from "~/server/process-singleton";
import { createEmptyPostgresDatabase } from "~/test/db";
import { testDatabaseUrl } from "~/test/env";
import type { DatabaseHandle } from "./client";
import type * as AppDatabase from "./index";

// The app's own database (getDb, getAuthDb) as configured from the environment: DATABASE_STATEMENT_TIMEOUT_MS
// reaches every connection of both pools, so PostgreSQL stops a query nobody waits for any more.
describe.runIf(testDatabaseUrl)("the app's PostgreSQL pools, configured from the environment", () => {
  let scratch: Awaited<ReturnType<typeof createEmptyPostgresDatabase>>;
  let app: typeof AppDatabase;

  beforeAll(async () => {
    scratch = await createEmptyPostgresDatabase();
    vi.stubEnv("DATABASE_URL", scratch.url);
    vi.stubEnv("DATABASE_STATEMENT_TIMEOUT_MS", "300");
    vi.resetModules();
    app = await import("./index");
  });

  afterAll(async () => {
    const appDatabase = processSingleton<{ opening?: Promise<DatabaseHandle> }>("appDatabase", () => ({}));
    const opened = appDatabase.opening;
    appDatabase.opening = undefined;
    await (await opened)?.close();
    vi.unstubAllEnvs();
    vi.resetModules();
    await scratch?.drop();
  });

  it("sets statement_timeout on the main pool and the authentication pool", async () => {
    for (const db of [await app.getDb(), await app.getAuthDb()]) {
      const rows = (await db.execute("show statement_timeout")) as unknown as { statement_timeout: string }[];
      expect(rows[0]?.statement_timeout).toBe("300ms");
      const error = await db.execute("select pg_sleep(3)").then(
        () => null,
        (caught: unknown) => caught,
      );
      expect(app.isDatabaseUnavailable(error)).toBe(true);
    }
  });
});
