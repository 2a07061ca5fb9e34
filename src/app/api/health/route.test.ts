import { readFileSync } from "node:fs";
import path from "node:path";
import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";
import { createEmptyPostgresDatabase } from "~/test/db";
import { testDatabaseUrl } from "~/test/env";
import { startServer, type TestServer } from "~/test/server";

const journal = JSON.parse(readFileSync(path.join("drizzle", "meta", "_journal.json"), "utf8")) as { entries: unknown[] };

describe("a production server on embedded PGlite", () => {
  let server: TestServer | undefined;
  afterAll(() => server?.stop());

  it("serves the home page and reports the database up", async () => {
    server = await startServer();
    const health = await fetch(`${server.url}/api/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok", database: "up" });

    const home = await fetch(server.url);
    expect(home.status).toBe(200);
    expect(await home.text()).toContain("Carestral");
    // Starting includes PGlite's first migrations, slow on a busy machine.
  }, 90_000);

  it("answers the tRPC health procedure", async () => {
    if (!server) throw new Error("server not started");
    const response = await fetch(`${server.url}/api/trpc/health.check`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ result: { data: { json: { database: "up" } } } });
  });
});

describe.runIf(testDatabaseUrl)("production servers on PostgreSQL", () => {
  it("two servers starting at once on a new database migrate it once, without error", async () => {
    const database = await createEmptyPostgresDatabase();
    const servers = await Promise.all([startServer({ databaseUrl: database.url }), startServer({ databaseUrl: database.url })]);
    try {
      for (const server of servers) {
        const health = await fetch(`${server.url}/api/health`);
        expect(await health.json()).toEqual({ status: "ok", database: "up" });
        expect(server.log()).not.toMatch(/error/i);
      }
      const sql = postgres(database.url, { max: 1 });
      try {
        const [row] = await sql<{ count: number }[]>`select count(*)::int as count from drizzle.__drizzle_migrations`;
        expect(row?.count).toBe(journal.entries.length);
        const [hospitals] = await sql<{ count: number }[]>`select count(*)::int as count from hospitals`;
        expect(hospitals?.count).toBeGreaterThanOrEqual(30);
      } finally {
        await sql.end();
      }
    } finally {
      await Promise.all(servers.map((server) => server.stop()));
      await database.drop();
    }
  });
});
