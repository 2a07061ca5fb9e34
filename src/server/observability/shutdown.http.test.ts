import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { eq } from "drizzle-orm";
import postgres from "postgres";
import { describe, expect, it } from "vitest";
import { openDatabase } from "~/server/db/client";
import { mcpActivity } from "~/server/db/schema";
import { testDatabaseUrl } from "~/test/env";
import { startTestServer } from "~/test/fixtures";
import { startServer } from "~/test/server";
import { signUpOverHttp } from "~/test/trpc-http";

const MCP_HEADERS = { "content-type": "application/json", accept: "application/json, text/event-stream" };
const LIMITS = { MCP_RATE_LIMIT_PER_MINUTE: "1000000", MCP_CONCURRENCY_PER_USER: "1000" };

describe("stopping during a burst of MCP calls (SIGTERM)", () => {
  it("keeps the activity row of every call it answered", { timeout: 180_000 }, async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "carestral-burst-"));
    try {
      const server = await startServer({ pgliteDir: dataDir, env: LIMITS });
      const person = await signUpOverHttp(server.url);
      const created = await person.client.tokens.generate.mutate({ name: "Burst", scopes: ["read:data"], expiresInDays: 7 });
      let answered = 0;
      let stopping: Promise<void> | null = null;
      const call = (id: number) =>
        fetch(`${server.url}/api/mcp`, {
          method: "POST",
          headers: { ...MCP_HEADERS, authorization: `Bearer ${created.token}` },
          body: JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name: "hospitals_search", arguments: { limit: 3 } } }),
          signal: AbortSignal.timeout(20_000),
        });
      // Eight clients calling back to back; the signal comes once 40 calls were answered, while others are in flight.
      let next = 0;
      const client = async () => {
        for (;;) {
          let response: Response;
          try {
            response = await call(++next);
            await response.text();
          } catch {
            return; // the server stopped listening: nothing more will be answered
          }
          if (response.status === 200) answered += 1;
          if (answered >= 40) stopping ??= server.stop();
        }
      };
      await Promise.all(Array.from({ length: 8 }, client));
      await stopping;
      expect(answered).toBeGreaterThanOrEqual(40);

      const handle = await openDatabase({ engine: "pglite", dataDir });
      try {
        const rows = await handle.db.select({ outcome: mcpActivity.outcome }).from(mcpActivity).where(eq(mcpActivity.tokenId, created.id));
        expect(rows.length).toBeGreaterThanOrEqual(answered);
        expect(rows.filter((row) => row.outcome === "ok").length).toBeGreaterThanOrEqual(answered);
      } finally {
        await handle.close();
      }
      expect(server.log()).toContain("SIGTERM: stopping");
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe.runIf(testDatabaseUrl)("readiness", () => {
  const server = startTestServer();

  it("is ready with the database up and every migration applied, and says so", async () => {
    const response = await fetch(`${server.url}/api/health/ready`);
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(await response.json()).toEqual({ status: "ready", database: "up", migrations: "applied" });
  });

  it("answers 503 when the database lacks a migration this build ships, while liveness stays up", async () => {
    const sql = postgres(server.databaseUrl, { max: 1, onnotice: () => {} });
    try {
      await sql`delete from drizzle.__drizzle_migrations where id = (select max(id) from drizzle.__drizzle_migrations)`;
    } finally {
      await sql.end();
    }
    const response = await fetch(`${server.url}/api/health/ready`);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ status: "not_ready", database: "up", migrations: "pending" });
    expect((await fetch(`${server.url}/api/health`)).status).toBe(200);
  });
});
