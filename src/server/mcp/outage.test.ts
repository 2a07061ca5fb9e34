import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findPostgresBinDir, createPostgresCluster, type PostgresCluster } from "~/test/postgres-cluster";
import { startServer, type TestServer } from "~/test/server";
import { signUpOverHttp } from "~/test/trpc-http";
import { postMcp } from "./test-client";

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
});
