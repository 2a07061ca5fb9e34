import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";

// The floor `npm run bench` compares /api/mcp with: the SDK's stateless pattern in a Next.js route handler, one
// static tool, no authentication, no database. Deliberately plain: what a minimal MCP route costs.
export const dynamic = "force-dynamic";

const PERSON = { user: { id: "00000000-0000-4000-8000-000000000000", email: "peer@example.test", firstname: "Peer", surname: "Route" } };

export async function POST(request) {
  const server = new McpServer({ name: "peer", version: "1.0.0" });
  server.registerTool("whoami", { title: "Who am I", description: "Tells who the caller is." }, () => ({
    content: [{ type: "text", text: JSON.stringify(PERSON) }],
  }));
  const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  await server.connect(transport);
  try {
    return await transport.handleRequest(request);
  } finally {
    await server.close();
  }
}
