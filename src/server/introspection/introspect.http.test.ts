import { beforeAll, describe, expect, it } from "vitest";
import { startTestServer } from "~/test/fixtures";
import { signUpOverHttp, type SignedUpClient } from "~/test/trpc-http";

// RFC 7662 through `next start`, called the way FastMCP's IntrospectionTokenVerifier does it: a form POST of
// token and token_type_hint, the resource server's credentials as HTTP Basic, no Origin. On PostgreSQL when
// TEST_DATABASE_URL is set, else on PGlite.

const FASTMCP = { id: "fastmcp-eu", secret: "fastmcp-secret-0123456789" };
const POSTER = { id: "sdk-example", secret: "sdk-example-secret-0123456789" };
const LIMITED = { id: "limited", secret: "limited-secret-0123456789" };
const RATE_LIMIT = 12;

/** What FastMCP's IntrospectionTokenVerifier sends (client_secret_basic, its default). */
function introspectLikeFastMcp(baseUrl: string, token: string, credentials: { id: string; secret: string } = FASTMCP): Promise<Response> {
  return fetch(`${baseUrl}/oauth/introspect`, {
    method: "POST",
    headers: {
      Authorization: `Basic ${Buffer.from(`${credentials.id}:${credentials.secret}`).toString("base64")}`,
      "Content-Type": "application/x-www-form-urlencoded",
      Accept: "application/json",
      "User-Agent": "python-httpx/0.28.1",
    },
    body: new URLSearchParams({ token, token_type_hint: "access_token" }),
  });
}

describe("token introspection over HTTP", () => {
  let person: SignedUpClient;

  const server = startTestServer({
    env: {
      AUTH_RATE_LIMIT_PER_MINUTE: "1000",
      INTROSPECTION_CREDENTIALS: [FASTMCP, POSTER, LIMITED].map(({ id, secret }) => `${id}:${secret}`).join(","),
      INTROSPECTION_RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT),
    },
  });
  beforeAll(async () => {
    person = await signUpOverHttp(server.url);
  });

  it("is advertised in the authorization server metadata", async () => {
    const metadata = (await (await fetch(`${server.url}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
    expect(metadata.introspection_endpoint).toBe(`${server.url}/oauth/introspect`);
    expect(metadata.introspection_endpoint_auth_methods_supported).toEqual(["client_secret_basic", "client_secret_post"]);
  });

  it("refuses a caller without listed credentials with 401, whatever the token", async () => {
    const { token } = await person.client.tokens.generate.mutate({ name: "Refused callers", scopes: ["read:data"], expiresInDays: 7 });
    const anonymous = await fetch(`${server.url}/oauth/introspect`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token }),
    });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toMatch(/^Basic /);
    expect(await anonymous.json()).toMatchObject({ error: "invalid_client" });
    const wrongSecret = await introspectLikeFastMcp(server.url, token, { id: FASTMCP.id, secret: POSTER.secret });
    expect(wrongSecret.status).toBe(401);
    const malformed = await fetch(`${server.url}/oauth/introspect`, {
      method: "POST",
      headers: { Authorization: "Basic !!!", "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token }),
    });
    expect(malformed.status).toBe(401);
  });

  it("answers a FastMCP-shaped client, and a revoked token is inactive on the very next request", async () => {
    const created = await person.client.tokens.generate.mutate({ name: "FastMCP server", scopes: ["read:data", "write:bookings"], expiresInDays: 30 });
    const active = await introspectLikeFastMcp(server.url, created.token);
    expect(active.status).toBe(200);
    expect(active.headers.get("cache-control")).toContain("no-store");
    expect(await active.json()).toEqual({
      active: true,
      scope: "read:data write:bookings",
      client_id: created.id,
      sub: person.user.id,
      exp: Math.floor(new Date(created.expiresAt as Date).getTime() / 1000),
      iat: Math.floor(new Date(created.createdAt).getTime() / 1000),
      aud: `${server.url}/api/mcp`,
      token_type: "Bearer",
    });

    await person.client.tokens.revoke.mutate({ id: created.id });
    const next = await introspectLikeFastMcp(server.url, created.token);
    expect(next.status).toBe(200);
    expect(await next.json()).toEqual({ active: false });
  });

  it("accepts client_secret_post too, and says only active: false about anything else", async () => {
    for (const token of ["mcp_nonsense", "not a token", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"]) {
      const response = await fetch(`${server.url}/oauth/introspect`, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ token, client_id: POSTER.id, client_secret: POSTER.secret }),
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ active: false });
    }
    const missing = await fetch(`${server.url}/oauth/introspect`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ client_id: POSTER.id, client_secret: POSTER.secret }),
    });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ error: "invalid_request" });
  });

  it("shows each introspected use in the token's activity", async () => {
    const created = await person.client.tokens.generate.mutate({ name: "Watched", scopes: ["read:data"], expiresInDays: 7 });
    expect((await (await introspectLikeFastMcp(server.url, created.token)).json()).active).toBe(true);
    let summaries: (string | null)[] = [];
    for (let attempt = 0; attempt < 40 && summaries.length === 0; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const page = await person.client.activity.list.query({ tokenId: created.id });
      summaries = page.entries.map((entry) => entry.summary);
    }
    expect(summaries).toEqual(["introspected by fastmcp-eu"]);
  });

  it("limits each caller's requests per minute, and not another caller's", async () => {
    const { token } = await person.client.tokens.generate.mutate({ name: "Busy", scopes: ["read:data"], expiresInDays: 7 });
    let limited: Response | undefined;
    for (let attempt = 0; attempt <= RATE_LIMIT && limited?.status !== 429; attempt++) {
      limited = await introspectLikeFastMcp(server.url, token, LIMITED);
    }
    expect(limited?.status).toBe(429);
    expect(Number(limited?.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await introspectLikeFastMcp(server.url, token, POSTER)).status).toBe(200);
  });
});
