import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { describe, expect, it } from "vitest";
import { createEmptyPostgresDatabase, engines } from "~/test/db";
import { useTestDatabase } from "~/test/fixtures";
import { testDatabaseUrl } from "~/test/env";
import { migrationsFolder, openDatabase } from "./client";
import { hospitals } from "./schema";

const journal = JSON.parse(readFileSync(path.join(migrationsFolder, "meta/_journal.json"), "utf8")) as { entries: unknown[] };

describe.each(engines)("migrations on %s", (engine) => {
  const testDb = useTestDatabase(engine);

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

describe("migration 0010 (one grant per person × client) on PGlite", () => {
  it("merges the live grants a loopback port change duplicated into the newest that issued tokens; tokenless ones stay unlisted", async () => {
    const entries = journal.entries as { tag: string }[];
    const before = entries.findIndex((entry) => entry.tag === "0010_one_grant_per_client");
    expect(before).toBeGreaterThan(0);
    // The migrations before it, in a folder of their own.
    const folder = mkdtempSync(path.join(tmpdir(), "carestral-migrations-"));
    cpSync(migrationsFolder, folder, { recursive: true });
    writeFileSync(path.join(folder, "meta/_journal.json"), JSON.stringify({ ...journal, entries: entries.slice(0, before) }));
    const client = new PGlite();
    const db = drizzlePglite({ client });
    try {
      await migratePglite(db, { migrationsFolder: folder });
      const [user] = (await client.query<{ id: string }>(`insert into users (email, firstname, surname, password_hash) values ('m@example.com', 'A', 'B', 'x') returning id`)).rows;
      const grant = async (client_id: string, port: number, minutesAgo: number, revoked = false) =>
        (
          await client.query<{ id: string }>(
            `insert into oauth_grants (user_id, client_id, client_name, redirect_uri, scopes, resource, created_at, revoked_at)
             values ($1, $2, 'App', $3, '{read:data}', 'http://localhost/api/mcp', now() - make_interval(mins => $4), ${revoked ? "now()" : "null"}) returning id`,
            [user?.id, client_id, `http://localhost:${port}/cb`, minutesAgo],
          )
        ).rows[0]?.id ?? "";
      const token = (grantId: string, hash: string) =>
        client.query(`insert into api_tokens (user_id, name, token_hash, token_prefix, scopes, kind, grant_id, resource) values ($1, 'App', $2, 'mcpo_x', '{read:data}', 'oauth_access', $3, 'http://localhost/api/mcp')`, [user?.id, hash, grantId]);
      const oldest = await grant("dcr_a", 4000, 30);
      const middle = await grant("dcr_a", 5000, 20);
      const blocked = await grant("dcr_a", 6000, 10); // Allow pressed, no code ever exchanged: no tokens
      const revoked = await grant("dcr_a", 7000, 40, true);
      const alone = await grant("dcr_b", 4000, 5); // no tokens either
      await token(oldest, "h1");
      await token(middle, "h2");
      await token(revoked, "h3");

      await migratePglite(db, { migrationsFolder });
      const grants = (await client.query<{ id: string; connected: boolean; revoked: boolean }>(`select id, connected_at is not null as connected, revoked_at is not null as revoked from oauth_grants order by created_at`)).rows;
      expect(grants).toEqual([
        { id: revoked, connected: true, revoked: true },
        { id: middle, connected: true, revoked: false },
        { id: alone, connected: false, revoked: false },
      ]);
      expect(grants.map((row) => row.id)).not.toContain(blocked);
      const tokens = (await client.query<{ token_hash: string; grant_id: string }>(`select token_hash, grant_id from api_tokens order by token_hash`)).rows;
      expect(tokens).toEqual([
        { token_hash: "h1", grant_id: middle },
        { token_hash: "h2", grant_id: middle },
        { token_hash: "h3", grant_id: revoked },
      ]);
      // The index now holds: a second live grant for dcr_a is refused.
      await expect(grant("dcr_a", 8000, 0)).rejects.toThrow();
    } finally {
      await client.close();
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
