import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findPostgresBinDir, createPostgresCluster, type PostgresCluster } from "~/test/postgres-cluster";
import { startServer, type TestServer } from "~/test/server";
import { startRelay } from "~/test/tcp-relay";
import { signUpOverHttp } from "~/test/trpc-http";
import { sessionIdFromToken } from "~/server/auth/session";
import { postMcp } from "~/test/mcp-client";

// The database host fails under a running server: MCP clients get a prompt 503 with a JSON-RPC
// error (never a hang or a 500), and service resumes when the database is back.
describe.skipIf(!findPostgresBinDir())("MCP while the database is down", () => {
  let cluster: PostgresCluster;
  let server: TestServer;
  let token: string;

  beforeAll(async () => {
    cluster = await createPostgresCluster();
    server = await startServer({ databaseUrl: cluster.url });
    const person = await signUpOverHttp(server.url);
    token = (await person.client.tokens.generate.mutate({ name: "Outage", scopes: ["read:data"], expiresInDays: 7 })).token;
  });

  afterAll(async () => {
    await server?.stop();
    cluster?.destroy();
  });

  it("answers 503 with a JSON-RPC error within seconds, then recovers", { timeout: 60_000 }, async () => {
    const authorized = { headers: { Authorization: `Bearer ${token}` } };
    expect((await postMcp(server.url, authorized)).status).toBe(200);

    cluster.stop();
    const started = Date.now();
    const refused = await postMcp(server.url, authorized);
    expect(refused.status).toBe(503);
    expect(Date.now() - started).toBeLessThan(6000);
    expect(refused.headers.get("retry-after")).toBe("5");
    expect(await refused.json()).toMatchObject({ jsonrpc: "2.0", id: null, error: { message: expect.stringMatching(/database is unavailable/) } });

    cluster.start();
    const deadline = Date.now() + 20_000;
    let status = 0;
    while (Date.now() < deadline && status !== 200) {
      status = (await postMcp(server.url, authorized)).status;
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(status).toBe(200);
  });

  it("answers 503 within seconds when the database stops answering without closing connections", { timeout: 60_000 }, async () => {
    const target = new URL(cluster.url);
    const relay = await startRelay(target.hostname, Number(target.port));
    target.port = String(relay.port);
    const relayed = await startServer({ databaseUrl: target.toString() });
    try {
      const authorized = { headers: { Authorization: `Bearer ${token}` } };
      expect((await postMcp(relayed.url, authorized)).status).toBe(200);
      const person = await signUpOverHttp(relayed.url);
      const sessionToken = person.jar.sessionToken() ?? "";

      relay.freeze();
      const started = Date.now();
      const refused = await postMcp(relayed.url, authorized);
      expect(refused.status).toBe(503);
      expect(Date.now() - started).toBeLessThan(6000);
      expect(await refused.json()).toMatchObject({ jsonrpc: "2.0", error: { message: expect.stringMatching(/database is unavailable/) } });

      // The dashboard's API and pages give up too, instead of waiting for TCP to time out.
      const listStarted = Date.now();
      await expect(person.client.tokens.list.query()).rejects.toMatchObject({ data: { code: "SERVICE_UNAVAILABLE", httpStatus: 503 } });
      expect(Date.now() - listStarted).toBeLessThan(10_000);
      const pageStarted = Date.now();
      const page = await fetch(`${relayed.url}/dashboard/tokens`, { headers: { cookie: `carestral_session=${sessionToken}` } });
      // A server error page (src/app/error.tsx renders it in the browser), not a hang.
      expect(page.status).toBe(500);
      await page.arrayBuffer();
      expect(Date.now() - pageStarted).toBeLessThan(10_000);
      // A failed session lookup is logged without its query parameters: the session id is a secret too.
      expect(relayed.log()).not.toContain(sessionIdFromToken(sessionToken));

      relay.heal();
      const deadline = Date.now() + 20_000;
      let status = 0;
      while (Date.now() < deadline && status !== 200) {
        status = (await postMcp(relayed.url, authorized)).status;
        if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 250));
      }
      expect(status).toBe(200);
    } finally {
      await relayed.stop();
      relay.close();
    }
  });
});
