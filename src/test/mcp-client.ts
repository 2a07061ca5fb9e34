import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { Database } from "~/server/db/client";
import type { McpDatabases } from "~/server/mcp/http";

// Test helpers for talking to /api/mcp the way AI clients do: the SDK's own client, a static bearer header.

export async function connectMcpClient(baseUrl: string, token: string): Promise<Client> {
  const client = new Client({ name: "carestral-test", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(`${baseUrl}/api/mcp`), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  await client.connect(transport);
  return client;
}

export async function callTool(client: Client, name: string, args: Record<string, unknown> = {}): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args })) as CallToolResult;
}

/** The text of an isError result; fails the test if the call succeeded. */
export function toolErrorText(result: CallToolResult): string {
  if (!result.isError) throw new Error(`expected an isError result, got ${JSON.stringify(result.structuredContent)}`);
  const [first] = result.content;
  return first?.type === "text" ? first.text : "";
}

/** A raw JSON-RPC POST, for the HTTP-level answers the SDK client would hide. */
export function postMcp(baseUrl: string, init: { headers?: Record<string, string>; body?: BodyInit; duplex?: "half" } = {}): Promise<Response> {
  return fetch(`${baseUrl}/api/mcp`, {
    method: "POST",
    ...init,
    headers: { "Content-Type": "application/json", Accept: "application/json, text/event-stream", ...init.headers },
    body: init.body ?? JSON.stringify(INITIALIZE),
    signal: AbortSignal.timeout(15_000),
  } as RequestInit);
}

export const INITIALIZE = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "curl", version: "1" } },
};

/** The 2026-07-28 revision: no initialize; each request carries its version in headers and in a `_meta` envelope. */
export const MODERN_VERSION = "2026-07-28";

let modernId = 1;

/** A raw 2026-07-28 request: the body with its `_meta` envelope, and the headers that must agree with it. */
export function modernMessage(method: string, params: Record<string, unknown> = {}, version = MODERN_VERSION) {
  const name = typeof params.name === "string" ? params.name : null;
  return {
    method,
    body: {
      jsonrpc: "2.0",
      id: modernId++,
      method,
      params: {
        ...params,
        _meta: {
          "io.modelcontextprotocol/protocolVersion": version,
          "io.modelcontextprotocol/clientInfo": { name: "carestral-wire-test", version: "1.0.0" },
          "io.modelcontextprotocol/clientCapabilities": {},
        },
      },
    },
    headers: { "MCP-Protocol-Version": version, "Mcp-Method": method, ...(name ? { "Mcp-Name": name } : {}) } as Record<string, string>,
  };
}

export { futureSlot } from "~/test/slots";

/** handleMcpRequest's databases when a test's scratch database stands in for both of the app's pools. */
export function scratchDatabases(db: Database): McpDatabases {
  return { main: () => Promise.resolve(db), auth: () => Promise.resolve(db) };
}
