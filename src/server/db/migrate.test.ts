import { readFileSync } from "node:fs";
import path from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEmptyPostgresDatabase, createTestDatabase, engines, type TestDatabase } from "~/test/db";
import { testDatabaseUrl } from "~/test/env";
import { migrationsFolder, openDatabase } from "./client";
import { hospitals } from "./schema";

const journal = JSON.parse(readFileSync(path.join(migrationsFolder, "meta/_journal.json"), "utf8")) as { entries: unknown[] };

describe.each(engines)("migrations on %s", (engine) => {
  let testDb: TestDatabase;
  beforeAll(async () => {
    testDb = await createTestDatabase(engine);
  });
  afterAll(() => testDb?.close());

  it("creates every table of the design", async () => {
    const rows = await testDb.db.execute<{ table_name: string }>(
      sql`select table_name from information_schema.tables where table_schema = 'public' order by table_name`,
    );
    const tables = (rows as unknown as { rows?: { table_name: string }[] }).rows ?? (rows as unknown as { table_name: string }[]);
    expect(tables.map((row) => row.table_name)).toEqual(
      expect.arrayContaining(["api_tokens", "auth_rate_limits", "bookings", "hospitals", "sessions", "users"]),
    );
  });

  it("loads real reference hospitals: at least 30, 5 cities, 5 in Paris", async () => {
    const rows = await testDb.db.select({ city: hospitals.city, specialties: hospitals.specialties }).from(hospitals);
    expect(rows.length).toBeGreaterThanOrEqual(30);
    expect(new Set(rows.map((row) => row.city)).size).toBeGreaterThanOrEqual(5);
    expect(rows.filter((row) => row.city === "Paris").length).toBeGreaterThanOrEqual(5);
    expect(rows.every((row) => row.specialties.length > 0)).toBe(true);
  });

  it("is idempotent: migrating again applies nothing new", async () => {
    await testDb.handle.migrate();
    const rows = await testDb.db.execute(sql`select count(*)::int as count from drizzle.__drizzle_migrations`);
    const count = ((rows as unknown as { rows?: { count: number }[] }).rows ?? (rows as unknown as { count: number }[]))[0]?.count;
    expect(count).toBe(journal.entries.length);
  });
});

describe.runIf(testDatabaseUrl)("concurrent migrations on one new PostgreSQL database", () => {
  it("several instances starting at once migrate it exactly once", async () => {
    const created = await createEmptyPostgresDatabase();
    const handles = await Promise.all([1, 2, 3].map(() => openDatabase({ engine: "postgres", url: created.url })));
    try {
      await Promise.all(handles.map((handle) => handle.migrate()));
      const [first] = handles;
      const rows = (await first?.db.execute(sql`select count(*)::int as count from drizzle.__drizzle_migrations`)) as unknown as {
        count: number;
      }[];
      expect(rows[0]?.count).toBe(journal.entries.length);
    } finally {
      await Promise.all(handles.map((handle) => handle.close()));
      await created.drop();
    }
  });
});
