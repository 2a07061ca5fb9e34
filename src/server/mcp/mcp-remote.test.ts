import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "~/test/server";
import { signUpOverHttp } from "~/test/trpc-http";

// Claude Desktop reaches remote servers through mcp-remote, a stdio bridge, configured with
// `npx mcp-remote <url> --header "Authorization:Bearer mcp_…"`. Drive the real bridge over stdio.
describe("mcp-remote bridge", () => {
  let server: TestServer;
  let token: string;
  let configDir: string;

  beforeAll(async () => {
    server = await startServer();
    const person = await signUpOverHttp(server.url, { firstname: "Rosalind", surname: "Franklin" });
    token = (await person.client.tokens.generate.mutate({ name: "Claude Desktop", scopes: ["read:data"], expiresInDays: 30 })).token;
    // mcp-remote keeps OAuth state under MCP_REMOTE_CONFIG_DIR; keep the test's out of $HOME.
    configDir = mkdtempSync(path.join(os.tmpdir(), "carestral-mcp-remote-"));
  });

  afterAll(async () => {
    await server?.stop();
    if (configDir) rmSync(configDir, { recursive: true, force: true });
  });

  it("initializes and lists the token's tools through the stdio bridge", { timeout: 60_000 }, async () => {
    let bridgeLog = "";
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [path.resolve("node_modules/mcp-remote/dist/proxy.js"), `${server.url}/api/mcp`, "--header", `Authorization:Bearer ${token}`],
      env: { PATH: process.env.PATH ?? "", HOME: configDir, MCP_REMOTE_CONFIG_DIR: configDir },
      stderr: "pipe",
    });
    transport.stderr?.on("data", (chunk: Buffer) => (bridgeLog += chunk.toString()));
    const client = new Client({ name: "claude-desktop-stand-in", version: "1.0.0" });
    try {
      await client.connect(transport);
      expect(client.getServerVersion()).toMatchObject({ name: "carestral" });
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name).sort()).toEqual(["bookings_list", "hospitals_get", "hospitals_search", "whoami"]);
      const whoami = await client.callTool({ name: "whoami", arguments: {} });
      expect(whoami.structuredContent).toMatchObject({ user: { firstname: "Rosalind" }, token: { name: "Claude Desktop" } });
    } catch (error) {
      throw new Error(`${String(error)}\nmcp-remote said:\n${bridgeLog.replaceAll(token, "mcp_[redacted]")}`);
    } finally {
      await client.close();
    }
  });
});
