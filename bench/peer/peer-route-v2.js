import { createMcpHandler, McpServer } from "@modelcontextprotocol/server";

const PERSON = { user: { id: "00000000-0000-4000-8000-000000000000", email: "peer@example.test", firstname: "Peer", surname: "Route" } };

/**
 * The v2 SDK's own pattern: one `createMcpHandler` per process, a fresh server from the factory per request, one
 * static tool. Its defaults serve both eras: 2026-07-28 on the per-request path, 2025-era requests statelessly.
 */
export const staticToolHandler = createMcpHandler(() => {
  const server = new McpServer({ name: "peer-v2", version: "1.0.0" });
  server.registerTool("whoami", { title: "Who am I", description: "Tells who the caller is." }, () => ({
    content: [{ type: "text", text: JSON.stringify(PERSON) }],
  }));
  return server;
});
