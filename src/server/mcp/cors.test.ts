import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "~/test/server";
import { signUpOverHttp } from "~/test/trpc-http";
import { postMcp } from "~/test/mcp-client";

// Browser-based MCP clients (MCP Inspector's "Direct" mode, web agents) on an origin in MCP_ALLOWED_ORIGINS:
// they pass the Origin check and can read every answer, refusals included. Against `next start`.
const LISTED = "https://inspector.example.test";
const OTHER = "https://evil.example.test";

describe("MCP_ALLOWED_ORIGINS", () => {
  let server: TestServer;
  let token = "";

  beforeAll(async () => {
    server = await startServer({ env: { MCP_ALLOWED_ORIGINS: `${LISTED}, http://localhost:6274`, AUTH_RATE_LIMIT_PER_MINUTE: "1000", MCP_RATE_LIMIT_PER_MINUTE: "3" } });
    const person = await signUpOverHttp(server.url);
    ({ token } = await person.client.tokens.generate.mutate({ name: "Inspector", scopes: ["read:data"], expiresInDays: 7 }));
  });
  afterAll(() => server?.stop());

  const preflight = (origin: string) =>
    fetch(`${server.url}/api/mcp`, {
      method: "OPTIONS",
      headers: { Origin: origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, content-type, mcp-protocol-version" },
    });

  it("answers the preflight of a listed origin, and refuses any other", async () => {
    const listed = await preflight(LISTED);
    expect(listed.status).toBe(204);
    expect(listed.headers.get("access-control-allow-origin")).toBe(LISTED);
    expect(listed.headers.get("access-control-allow-methods")).toContain("POST");
    expect(listed.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("authorization");
    expect(listed.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("mcp-protocol-version");
    expect(listed.headers.get("vary")).toContain("Origin");

    const other = await preflight(OTHER);
    expect(other.status).toBe(403);
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("lets a listed origin call and read every answer, 401 and 429 included; another origin stays refused", async () => {
    const withoutToken = await postMcp(server.url, { headers: { Origin: LISTED } });
    expect(withoutToken.status).toBe(401);
    expect(withoutToken.headers.get("access-control-allow-origin")).toBe(LISTED);
    expect(withoutToken.headers.get("access-control-expose-headers")).toMatch(/WWW-Authenticate.*Retry-After/);

    const called = await postMcp(server.url, { headers: { Origin: LISTED, Authorization: `Bearer ${token}` } });
    expect(called.status).toBe(200);
    expect(called.headers.get("access-control-allow-origin")).toBe(LISTED);

    let limited: Response | undefined;
    for (let attempt = 0; attempt < 10 && limited?.status !== 429; attempt++) {
      limited = await postMcp(server.url, { headers: { Origin: LISTED, Authorization: `Bearer ${token}` } });
    }
    expect(limited?.status).toBe(429);
    expect(limited?.headers.get("access-control-allow-origin")).toBe(LISTED);
    expect(limited?.headers.get("retry-after")).toBeTruthy();

    const other = await postMcp(server.url, { headers: { Origin: OTHER, Authorization: `Bearer ${token}` } });
    expect(other.status).toBe(403);
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
  });
});
