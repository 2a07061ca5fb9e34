import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";

const PERSON = { user: { id: "00000000-0000-4000-8000-000000000000", email: "peer@example.test", firstname: "Peer", surname: "Route" } };

/** The SDK's stateless pattern: a server and a transport per request, one static tool. */
export async function answerWithStaticTool(request, serverOptions = {}) {
  const server = new McpServer({ name: "peer", version: "1.0.0" }, serverOptions);
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
