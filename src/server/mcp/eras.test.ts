import { Client as V2Client, StreamableHTTPClientTransport as V2Transport } from "@modelcontextprotocol/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type DatabaseHandle } from "~/server/db/client";
import type { TokenScope } from "~/server/tokens/scopes";
import { createEmptyPostgresDatabase } from "~/test/db";
import { testDatabaseUrl } from "~/test/env";
import { issueOAuthTokens } from "~/test/oauth-in-process";
import { startServer, type TestServer } from "~/test/server";
import { signUpOverHttp, type SignedUpClient } from "~/test/trpc-http";
import { connectMcpClient, MODERN_VERSION, modernMessage, postMcp } from "./test-client";

// Both protocol eras on /api/mcp, against `next start`: the v1 SDK client (2025 era, initialize), and the v2
// client pinned to 2026-07-28 and in its auto mode (a server/discover probe first). With a personal token, and
// on PostgreSQL an OAuth token too.

type Era = "v1" | "v2-pinned" | "v2-auto";
const ERAS: Era[] = ["v1", "v2-pinned", "v2-auto"];

interface Connected {
  listToolNames(): Promise<string[]>;
  whoamiTokenName(): Promise<unknown>;
  close(): Promise<void>;
  era: string;
}

async function connect(baseUrl: string, token: string, era: Era): Promise<Connected> {
  if (era === "v1") {
    const client = await connectMcpClient(baseUrl, token);
    return {
      era: "legacy",
      listToolNames: async () => (await client.listTools()).tools.map((tool) => tool.name).sort(),
      whoamiTokenName: async () => ((await client.callTool({ name: "whoami", arguments: {} })).structuredContent as { token: { name: string } }).token.name,
      close: () => client.close(),
    };
  }
  const client = new V2Client(
    { name: "carestral-eras-test", version: "2.0.0" },
    { versionNegotiation: { mode: era === "v2-pinned" ? { pin: MODERN_VERSION } : "auto" } },
  );
  await client.connect(new V2Transport(new URL(`${baseUrl}/api/mcp`), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
  return {
    era: client.getProtocolEra() ?? "unknown",
    listToolNames: async () => (await client.listTools()).tools.map((tool) => tool.name).sort(),
    whoamiTokenName: async () => ((await client.callTool({ name: "whoami", arguments: {} })).structuredContent as { token: { name: string } }).token.name,
    close: () => client.close(),
  };
}

const READ_TOOLS = ["bookings_list", "hospitals_get", "hospitals_search", "whoami"];

describe("MCP protocol eras", () => {
  let server: TestServer;
  let handle: DatabaseHandle | undefined;
  let dropDatabase: (() => Promise<void>) | undefined;
  let person: SignedUpClient;

  beforeAll(async () => {
    let databaseUrl: string | undefined;
    if (testDatabaseUrl) {
      const database = await createEmptyPostgresDatabase();
      databaseUrl = database.url;
      dropDatabase = database.drop;
    }
    server = await startServer({ databaseUrl, env: { AUTH_RATE_LIMIT_PER_MINUTE: "1000" } });
    person = await signUpOverHttp(server.url, { firstname: "Lise", surname: "Meitner" });
    if (databaseUrl) handle = await openDatabase({ engine: "postgres", url: databaseUrl, maxConnections: 2 });
  });

  afterAll(async () => {
    await handle?.close();
    await server?.stop();
    await dropDatabase?.();
  });

  const personalToken = async (name: string, scopes: TokenScope[]) => {
    const created = await person.client.tokens.generate.mutate({ name, scopes, expiresInDays: 30 });
    return { token: created.token, revoke: () => person.client.tokens.revoke.mutate({ id: created.id }).then(() => undefined) };
  };

  describe.each(ERAS)("%s client", (era) => {
    it("lists and calls the tools of a personal token, and is refused on the very next call once it is revoked", async () => {
      const { token, revoke } = await personalToken(`Reader ${era}`, ["read:data"]);
      const client = await connect(server.url, token, era);
      expect(client.era).toBe(era === "v1" ? "legacy" : "modern");
      expect(await client.listToolNames()).toEqual(READ_TOOLS);
      expect(await client.whoamiTokenName()).toBe(`Reader ${era}`);
      await revoke();
      await expect(client.whoamiTokenName()).rejects.toThrow(/401|revoked/);
      await client.close().catch(() => undefined);
    });

    it.skipIf(!testDatabaseUrl)("lists and calls the tools of an OAuth token, and is refused on the very next call once it is revoked", async () => {
      if (!handle) throw new Error("no database handle");
      const issued = await issueOAuthTokens(handle.db, person.user.id, ["read:data"], server.url);
      const client = await connect(server.url, issued.accessToken, era);
      expect(client.era).toBe(era === "v1" ? "legacy" : "modern");
      expect(await client.listToolNames()).toEqual(READ_TOOLS);
      expect(await client.whoamiTokenName()).toBeTruthy();
      const revoked = await fetch(`${server.url}/oauth/revoke`, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ token: issued.refreshToken, client_id: issued.clientId }),
      });
      expect(revoked.status).toBe(200);
      await expect(client.whoamiTokenName()).rejects.toThrow(/401|revoked/);
      await client.close().catch(() => undefined);
    });
  });

  describe("2026-07-28 on the wire", () => {
    let token = "";
    beforeAll(async () => {
      ({ token } = await personalToken("Wire", ["read:data"]));
    });
    const post = (message: { method: string; body: unknown; headers: Record<string, string> }, headers: Record<string, string> = {}) =>
      postMcp(server.url, { headers: { Authorization: `Bearer ${token}`, ...message.headers, ...headers }, body: JSON.stringify(message.body) });

    it("answers server/discover with the 2026-07-28 revision", async () => {
      const response = await post(modernMessage("server/discover"));
      expect(response.status).toBe(200);
      const { result } = (await response.json()) as { result: { supportedVersions?: string[]; resultType?: string } };
      expect(result.resultType).toBe("complete");
      expect(JSON.stringify(result)).toContain(MODERN_VERSION);
    });

    it("lists tools with a private cache lifetime, since the list depends on the token's scopes", async () => {
      const response = await post(modernMessage("tools/list"));
      const { result } = (await response.json()) as { result: { tools: { name: string }[]; ttlMs: number; cacheScope: string; resultType: string } };
      expect(result.tools.map((tool) => tool.name).sort()).toEqual(READ_TOOLS);
      expect(result).toMatchObject({ ttlMs: 60_000, cacheScope: "private", resultType: "complete" });
    });

    it("refuses headers that disagree with the body with -32020, an unsupported version with -32022", async () => {
      const mismatch = await post(modernMessage("tools/list"), { "Mcp-Method": "tools/call" });
      expect(mismatch.status).toBe(400);
      expect(((await mismatch.json()) as { error: { code: number } }).error.code).toBe(-32020);
      const wrongName = await post(modernMessage("tools/call", { name: "whoami", arguments: {} }), { "Mcp-Name": "hospitals_get" });
      expect(wrongName.status).toBe(400);
      expect(((await wrongName.json()) as { error: { code: number } }).error.code).toBe(-32020);
      const future = await post(modernMessage("tools/list", {}, "2099-01-01"));
      expect(future.status).toBe(400);
      expect(((await future.json()) as { error: { code: number } }).error.code).toBe(-32022);
    });
  });
});
