import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEmptyPostgresDatabase } from "~/test/db";
import { testDatabaseUrl } from "~/test/env";
import type { ScratchDatabase } from "~/test/postgres-database";
import { freePort, startServer, type TestServer } from "~/test/server";
import { signUpOverHttp } from "~/test/trpc-http";

// A minimal OTLP/HTTP collector: keeps what is posted to /v1/traces (protobuf or JSON; span names and
// attribute strings appear as text in both) and answers 200 as a collector would.
interface Received {
  path: string;
  contentType: string;
  body: Buffer;
}

describe("traces over OTLP/HTTP", () => {
  let collector: Server;
  let server: TestServer;
  // On PostgreSQL when the run has one: query spans come from its pools (PGlite's single connection has none).
  let database: ScratchDatabase | undefined;
  const received: Received[] = [];
  const carries = (text: string) => received.some((entry) => entry.path === "/v1/traces" && entry.body.includes(text));
  async function waitUntilCarried(texts: string[]): Promise<void> {
    const deadline = Date.now() + 45_000;
    while (Date.now() < deadline && !texts.every(carries)) await new Promise((resolve) => setTimeout(resolve, 250));
  }

  beforeAll(async () => {
    const port = await freePort();
    collector = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        received.push({ path: request.url ?? "", contentType: request.headers["content-type"] ?? "", body: Buffer.concat(chunks) });
        response.writeHead(200, { "content-type": request.headers["content-type"] ?? "application/json" }).end();
      });
    });
    await new Promise<void>((resolve) => collector.listen(port, "127.0.0.1", resolve));
    database = testDatabaseUrl ? await createEmptyPostgresDatabase() : undefined;
    server = await startServer({ databaseUrl: database?.url, env: { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}` } });
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await database?.drop();
    await new Promise((resolve) => collector?.close(resolve));
  });

  it("sends a span for a request made in the test to the collector", { timeout: 60_000 }, async () => {
    expect((await fetch(`${server.url}/api/health/ready`)).status).toBe(200);
    await waitUntilCarried(["/api/health/ready"]);
    expect(carries("/api/health/ready")).toBe(true);
    expect(carries("carestral")).toBe(true);
  });

  it("sends our spans of an MCP call (the call with its tool and outcome, token verification, its queries) with the request id", { timeout: 90_000 }, async () => {
    const person = await signUpOverHttp(server.url);
    const created = await person.client.tokens.generate.mutate({ name: "Traced", scopes: ["read:data"], expiresInDays: 7 });
    const response = await fetch(`${server.url}/api/mcp`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream", authorization: `Bearer ${created.token}` },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "whoami", arguments: {} } }),
    });
    expect(response.status).toBe(200);
    const requestId = response.headers.get("x-request-id") ?? "";
    expect(requestId).not.toBe("");
    const expected = ["mcp.call", "token.verify", "carestral.request_id", requestId, "whoami", "carestral.outcome", ...(database ? ["db.query", "api_tokens"] : [])];
    await waitUntilCarried(expected);
    for (const text of expected) expect(carries(text), text).toBe(true);
    // Never the token itself.
    expect(received.some((entry) => entry.body.includes(created.token))).toBe(false);
  });
});
