import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "~/test/server";
import { signUpOverHttp } from "~/test/trpc-http";
import { requestIdFor } from "./requests";

const WHOAMI = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "whoami", arguments: {} } });
const MCP_HEADERS = { "content-type": "application/json", accept: "application/json, text/event-stream" };

interface LogLine {
  level: string;
  time: string;
  msg: string;
  requestId?: string;
  personId?: string;
  tokenId?: string;
  route?: string;
  status?: number;
  durationMs?: number;
  method?: string;
}

/** Every line the server wrote after Next's own start-up banner, parsed: a line that is not JSON fails the test. */
function logLines(server: TestServer): LogLine[] {
  const lines = server.log().split("\n").filter((line) => line.trim() !== "");
  const ours = lines.slice(lines.findIndex((line) => line.startsWith("{")));
  return ours.map((line) => JSON.parse(line) as LogLine);
}

async function eventually<T>(find: () => T | undefined): Promise<T> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const found = find();
    if (found !== undefined) return found;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error("the expected log line never came");
}

describe("the server log", () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer({ env: { LOG_LEVEL: "info" } });
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
  });

  it("is one JSON object per line, with level, time and message", async () => {
    await fetch(`${server.url}/`);
    const lines = logLines(server);
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines) {
      expect(typeof line.level).toBe("string");
      expect(new Date(line.time).getTime()).not.toBeNaN();
      expect(typeof line.msg).toBe("string");
    }
    expect(lines.some((line) => line.msg.startsWith("Carestral listening on"))).toBe(true);
  });

  it("writes an access line per request with a made id, the route without its query, the status and the duration", async () => {
    // Nobody is trusted (no TRUSTED_PROXIES): a client's own X-Request-Id is not believed.
    const response = await fetch(`${server.url}/login?next=%2Fdashboard&code=secret-looking`, { headers: { "x-request-id": "chosen-by-client" } });
    expect(response.status).toBe(200);
    const requestId = response.headers.get("x-request-id") ?? "";
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    const line = await eventually(() => logLines(server).find((candidate) => candidate.requestId === requestId && candidate.msg === "request"));
    expect(line).toMatchObject({ level: "info", method: "GET", route: "/login", status: 200 });
    expect(line.durationMs).toBeGreaterThanOrEqual(0);
    expect(server.log()).not.toContain("chosen-by-client");
  });

  it("names the person and the token of an MCP call, and carries the request id on lines logged while handling it", async () => {
    const person = await signUpOverHttp(server.url);
    const created = await person.client.tokens.generate.mutate({ name: "Logged", scopes: ["read:data"], expiresInDays: 7 });
    const me = await person.client.auth.me.query();
    const response = await fetch(`${server.url}/api/mcp`, {
      method: "POST",
      headers: { ...MCP_HEADERS, authorization: `Bearer ${created.token}` },
      body: WHOAMI,
    });
    expect(response.status).toBe(200);
    const requestId = response.headers.get("x-request-id");
    const access = await eventually(() => logLines(server).find((line) => line.requestId === requestId && line.msg === "request"));
    expect(access).toMatchObject({ route: "/api/mcp", status: 200, personId: me?.id, tokenId: created.id });

    // A line written inside the app during a request (the Origin check refusing a foreign page) carries its id.
    const refused = await fetch(`${server.url}/api/trpc/auth.signOut`, { method: "POST", headers: { origin: "https://elsewhere.example" } });
    expect(refused.status).toBe(403);
    const refusedId = refused.headers.get("x-request-id");
    const warning = await eventually(() => logLines(server).find((line) => line.requestId === refusedId && line.level === "warn"));
    expect(warning.msg).toContain("Refused POST /api/trpc/auth.signOut");
  });
});

describe("request ids", () => {
  it("takes X-Request-Id only from a trusted proxy, and only when it is a plain short id", () => {
    expect(requestIdFor("edge-42:abc", true)).toBe("edge-42:abc");
    expect(requestIdFor("edge-42:abc", false)).not.toBe("edge-42:abc");
    expect(requestIdFor("has spaces\nand a newline", true)).toMatch(/^[0-9a-f-]{36}$/);
    expect(requestIdFor("x".repeat(129), true)).toMatch(/^[0-9a-f-]{36}$/);
    expect(requestIdFor(undefined, true)).toMatch(/^[0-9a-f-]{36}$/);
  });
});
