import { sql } from "drizzle-orm";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { testDatabaseUrl } from "~/test/env";
import { createEmptyPostgresDatabase } from "~/test/db";
import type { ScratchDatabase } from "~/test/postgres-database";
import { openDatabase, type DatabaseHandle } from "./client";

// The pool figures /api/metrics exports (carestral_db_pool_in_use, _waiting): queries held at the server by an
// advisory lock another connection holds show as in use, those beyond the pool's size as waiting, and both go back
// to zero once they are answered.

const LOCK = 0x706f6f6c;

describe.runIf(testDatabaseUrl)("PostgreSQL pool usage", () => {
  let created: ScratchDatabase;
  let handle: DatabaseHandle;
  let holder: postgres.Sql;
  beforeAll(async () => {
    created = await createEmptyPostgresDatabase();
    handle = await openDatabase({ engine: "postgres", url: created.url, maxConnections: 2, authConnections: 1 });
    holder = postgres(created.url, { max: 1, onnotice: () => {} });
  });
  afterAll(async () => {
    await holder?.end({ timeout: 5 });
    await handle?.close();
    await created?.drop();
  });

  const usage = (pool: "main" | "auth") => handle.poolUsage().find((entry) => entry.pool === pool);

  it("counts a held query as in use, queries past the pool's size as waiting, and none once they are answered", async () => {
    expect(usage("main")).toEqual({ pool: "main", inUse: 0, waiting: 0, max: 2 });
    await holder`select pg_advisory_lock(${LOCK})`;
    // Drizzle sends a query once it is awaited: start each, then wait until it reached the pool.
    const waitForLock = () => Promise.resolve(handle.db.execute(sql`select pg_advisory_lock_shared(${LOCK})`));
    const held = waitForLock();
    await vi.waitFor(() => expect(usage("main")).toMatchObject({ inUse: 1, waiting: 0 }));
    const more = [waitForLock(), waitForLock()];
    await vi.waitFor(() => expect(usage("main")).toMatchObject({ inUse: 2, waiting: 1 }));
    // The authentication pool is counted apart.
    expect(usage("auth")).toEqual({ pool: "auth", inUse: 0, waiting: 0, max: 1 });

    await holder`select pg_advisory_unlock(${LOCK})`;
    await Promise.all([held, ...more]);
    expect(usage("main")).toMatchObject({ inUse: 0, waiting: 0 });
  });

  it("counts a transaction for as long as it holds its connection, and a failed query once it has failed", async () => {
    let inside: unknown;
    await handle.db.transaction(async (tx) => {
      await tx.execute(sql`select 1`);
      inside = usage("main");
    });
    expect(inside).toMatchObject({ inUse: 1, waiting: 0 });
    await expect(handle.db.execute(sql`select * from no_such_table`)).rejects.toThrow();
    expect(usage("main")).toMatchObject({ inUse: 0, waiting: 0 });
  });
});
