import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { openDatabase, type DatabaseHandle } from "~/server/db/client";
import { mcpActivity, users } from "~/server/db/schema";
import { generateToken, settleLastUsedWrites } from "~/server/tokens/service";
import { createPostgresCluster, findPostgresBinDir, type PostgresCluster } from "~/test/postgres-cluster";
import { startServer } from "~/test/server";
import { startRelay } from "~/test/tcp-relay";
import { signUpOverHttp } from "~/test/trpc-http";
import { activityRecorder } from "~/server/activity/recorder";
import { handleMcpRequest, type McpDatabases } from "./http";
import { postMcp } from "~/test/mcp-client";
import { log } from "~/server/observability/logger";

const WHOAMI = { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "whoami", arguments: {} } };

describe("the activity trail when the server stops", () => {
  it("writes the buffered calls on a graceful shutdown (SIGTERM)", { timeout: 120_000 }, async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "carestral-trail-"));
    try {
      const server = await startServer({ pgliteDir: dataDir });
      let tokenId: string;
      try {
        const person = await signUpOverHttp(server.url);
        const created = await person.client.tokens.generate.mutate({ name: "Shutdown", scopes: ["read:data"], expiresInDays: 7 });
        tokenId = created.id;
        const authorized = { headers: { Authorization: `Bearer ${created.token}` }, body: JSON.stringify(WHOAMI) };
        for (let i = 0; i < 5; i++) expect((await postMcp(server.url, authorized)).status).toBe(200);
      } finally {
        // Straight after the last answer, well inside one flush interval.
        await server.stop();
      }
      const handle = await openDatabase({ engine: "pglite", dataDir });
      try {
        const rows = await handle.db.select({ tool: mcpActivity.tool }).from(mcpActivity).where(eq(mcpActivity.tokenId, tokenId));
        expect(rows).toHaveLength(5);
      } finally {
        await handle.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

// The tools' database connection drops while calls are answered (the authentication pool, which verifies and
// counts, still reaches the database): whoami needs no query once the caller is verified, so the answers keep
// coming; the trail loses what was waiting for the failed flush, and nothing else.
describe.skipIf(!findPostgresBinDir())("the activity trail when the database stops", () => {
  let cluster: PostgresCluster;
  let relay: Awaited<ReturnType<typeof startRelay>>;
  let authHandle: DatabaseHandle;
  let mainHandle: DatabaseHandle;
  let databases: McpDatabases;
  let token: string;
  let tokenId: string;

  beforeAll(async () => {
    cluster = await createPostgresCluster();
    authHandle = await openDatabase({ engine: "postgres", url: cluster.url, maxConnections: 4 });
    await authHandle.migrate();
    const target = new URL(cluster.url);
    relay = await startRelay(target.hostname, Number(target.port));
    target.port = String(relay.port);
    mainHandle = await openDatabase({ engine: "postgres", url: target.toString(), maxConnections: 4 });
    databases = { main: () => Promise.resolve(mainHandle.db), auth: () => Promise.resolve(authHandle.db) };
    const [user] = await authHandle.db
      .insert(users)
      .values({ email: "outage@example.test", firstname: "Out", surname: "Age", passwordHash: "not-a-real-hash" })
      .returning({ id: users.id });
    if (!user) throw new Error("no user");
    ({ token, id: tokenId } = await generateToken(authHandle.db, user.id, { name: "Outage", scopes: ["read:data"], expiresInDays: 7 }));
  });
  afterAll(async () => {
    await settleLastUsedWrites();
    await mainHandle?.close();
    await authHandle?.close();
    relay?.close();
    cluster?.destroy();
  });

  const answer = async () => {
    const request = new Request("http://127.0.0.1/api/mcp", {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream", authorization: `Bearer ${token}` },
      body: JSON.stringify(WHOAMI),
    });
    const started = performance.now();
    const response = await handleMcpRequest(request, databases);
    await response.text();
    return { status: response.status, ms: performance.now() - started };
  };
  const recorded = async () => (await authHandle.db.select({ id: mcpActivity.id }).from(mcpActivity).where(eq(mcpActivity.tokenId, tokenId))).length;

  it("keeps answering, loses only the calls of the failed flush, and records again once it is back", { timeout: 90_000 }, async () => {
    const error = vi.spyOn(log, "error").mockImplementation(() => {});
    for (let i = 0; i < 3; i++) expect((await answer()).status).toBe(200);
    await activityRecorder.flush();
    expect(await recorded()).toBe(3);

    relay.cut();
    for (let i = 0; i < 2; i++) {
      const { status, ms } = await answer();
      expect(status).toBe(200);
      // Answered without waiting on the trail (the flush to a stopped database runs after the answer).
      expect(ms).toBeLessThan(2000);
    }
    await activityRecorder.flush();
    expect(error).toHaveBeenCalledWith(expect.stringMatching(/Activity trail: could not record 2 calls/));

    relay.heal();
    let back = 0;
    for (let attempt = 0; attempt < 40 && back === 0; attempt++) {
      expect((await answer()).status).toBe(200);
      await activityRecorder.flush();
      back = (await recorded().catch(() => 3)) - 3;
      if (back === 0) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    // The three before the stop and the first after it: only the flush that failed was lost.
    expect(back).toBeGreaterThanOrEqual(1);
    error.mockRestore();
  });
});
