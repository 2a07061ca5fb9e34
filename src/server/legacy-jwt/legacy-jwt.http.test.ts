import { SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { callTool, connectMcpClient, postMcp } from "~/test/mcp-client";
import { startTestServer } from "~/test/fixtures";
import { signUpOverHttp, type SignedUpClient } from "~/test/trpc-http";

// Option A JWTs on /api/mcp through `next start`, with MCP_JWT_* set. On PostgreSQL when TEST_DATABASE_URL is set.

const SECRET = "http-test-option-a-secret-of-32-characters";
const ISSUER = "https://old-system.example.test";
const AUDIENCE = "carestral-mcp";

function mint(claims: Record<string, unknown>, secret = SECRET) {
  return new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).setIssuer(ISSUER).setAudience(AUDIENCE).setIssuedAt().setExpirationTime("1h").sign(new TextEncoder().encode(secret));
}

describe("Option A JWTs over HTTP", () => {
  let person: SignedUpClient;

  const server = startTestServer({
    env: { AUTH_RATE_LIMIT_PER_MINUTE: "1000", MCP_JWT_SECRET: SECRET, MCP_JWT_ISSUER: ISSUER, MCP_JWT_AUDIENCE: AUDIENCE, MCP_JWT_SUNSET: "2099-12-31" },
  });
  beforeAll(async () => {
    person = await signUpOverHttp(server.url);
  });

  it("serves a valid JWT as its person, within its scopes, each call recorded as the legacy JWT", async () => {
    const jwt = await mint({ sub: person.user.id, scopes: ["read:data"] });
    const client = await connectMcpClient(server.url, jwt);
    try {
      const me = await callTool(client, "whoami");
      expect(JSON.stringify(me.content)).toContain(person.email);
      const tools = await client.listTools();
      expect(tools.tools.map((tool) => tool.name)).not.toContain("bookings_create");
    } finally {
      await client.close();
    }
    expect(await person.client.legacyJwt.recentUse.query()).toMatchObject({ scopes: ["read:data"] });
    let names: string[] = [];
    for (let attempt = 0; attempt < 40 && !names.includes("whoami"); attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const page = await person.client.activity.list.query({});
      names = page.entries.filter((entry) => entry.tokenName === "Legacy JWT").map((entry) => entry.tool);
    }
    expect(names).toContain("whoami");
    // Not a personal token of theirs: the tokens list stays theirs alone.
    expect((await person.client.tokens.list.query()).map((token) => token.name)).not.toContain("Legacy JWT");
  });

  it("refuses a forged JWT or one naming nobody with 401", async () => {
    for (const jwt of [await mint({ sub: person.user.id, scopes: ["read:data"] }, "a-different-secret-of-thirty-two-chars"), await mint({ email: "nobody@example.test" })]) {
      const answer = await postMcp(server.url, { headers: { Authorization: `Bearer ${jwt}` } });
      expect(answer.status).toBe(401);
      expect(answer.headers.get("www-authenticate")).toContain("invalid_token");
    }
  });

  it("replaces the JWT in one call with a personal token of the same scopes", async () => {
    const created = await person.client.legacyJwt.replace.mutate();
    expect(created.token).toMatch(/^mcp_/);
    expect(created.scopes).toEqual(["read:data"]);
    expect((await postMcp(server.url, { headers: { Authorization: `Bearer ${created.token}` } })).status).toBe(200);
  });
});
