import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type DatabaseHandle } from "~/server/db/client";
import { testDatabaseUrl } from "~/test/env";
import { startTestServer } from "~/test/fixtures";
import { issueOAuthTokens } from "~/test/oauth-in-process";
import { signUpOverHttp } from "~/test/trpc-http";
import { postMcp } from "~/test/mcp-client";

// The per-person MCP rate beside the per-token one (issue 18, hole 2): however many tokens a person holds (an OAuth
// access token per connected app, say), their calls together get one budget. Against `next start`; on PostgreSQL
// (when TEST_DATABASE_URL is set) two of the tokens are OAuth access tokens.
describe("the per-person MCP call budget", () => {
  let handle: DatabaseHandle | undefined;
  const PER_TOKEN = 100;
  const PER_PERSON = 6;

  const server = startTestServer({
    env: { MCP_RATE_LIMIT_PER_MINUTE: String(PER_TOKEN), MCP_RATE_LIMIT_PER_PERSON_PER_MINUTE: String(PER_PERSON), AUTH_RATE_LIMIT_PER_MINUTE: "1000" },
  });
  beforeAll(async () => {
    if (testDatabaseUrl) handle = await openDatabase({ engine: "postgres", url: server.databaseUrl, maxConnections: 1 });
  });

  afterAll(async () => {
    await handle?.close();
  });

  const whoami = (token: string) =>
    postMcp(server.url, {
      headers: { Authorization: `Bearer ${token}` },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "whoami", arguments: {} } }),
    });

  it("holds all of one person's tokens to one budget, 429 with Retry-After past it, and leaves other people alone", { timeout: 120_000 }, async () => {
    const person = await signUpOverHttp(server.url, { firstname: "Ada", surname: "Lovelace" });
    const personal = async (name: string) => (await person.client.tokens.generate.mutate({ name, scopes: ["read:data"], expiresInDays: 30 })).token;
    const oauth = async () => {
      if (!handle) return personal("stand-in for an OAuth app");
      return (await issueOAuthTokens(handle.db, person.user.id, ["read:data"], server.url)).accessToken;
    };
    const tokens = [await personal("Claude Desktop"), await personal("Cursor"), await oauth(), await oauth()];

    // The window is a minute of the database's clock: start early in one, so that every call falls in it.
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 40_000) await new Promise((resolve) => setTimeout(resolve, 60_000 - intoMinute + 200));

    // Two calls with each of three tokens: the person's six, each token far under its own hundred.
    const statuses: number[] = [];
    for (const token of tokens.slice(0, 3)) {
      for (let i = 0; i < 2; i++) {
        const response = await whoami(token);
        statuses.push(response.status);
        await response.arrayBuffer();
      }
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200]);

    // A fourth token, never used, is refused all the same: the budget is the person's.
    const refused = await whoami(tokens[3] ?? "");
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    const { error } = (await refused.json()) as { error: { message: string } };
    expect(error.message).toMatch(/^Too many calls from your account \(all of its tokens together\): at most 6 a minute, counted across all servers\. Retry after \d+ s\.$/);
    expect((await whoami(tokens[0] ?? "")).status).toBe(429);

    // Another person has a budget of their own.
    const other = await signUpOverHttp(server.url, { firstname: "Alan", surname: "Turing" });
    const { token } = await other.client.tokens.generate.mutate({ name: "Other", scopes: ["read:data"], expiresInDays: 30 });
    expect((await whoami(token)).status).toBe(200);
  });
});
