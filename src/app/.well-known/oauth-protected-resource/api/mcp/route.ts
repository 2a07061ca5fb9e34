import { protectedResourceMetadata } from "~/server/mcp/http";

export const dynamic = "force-dynamic";

export function GET(): Response {
  return Response.json(protectedResourceMetadata(), {
    headers: {
      "Cache-Control": "public, max-age=3600",
      // Public metadata (RFC 9728 §3): browser-based MCP clients may read it from any origin.
      "Access-Control-Allow-Origin": "*",
    },
  });
}
