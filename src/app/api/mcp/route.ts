import { handleMcpRequest, methodNotAllowed, preflight } from "~/server/mcp/http";

export const dynamic = "force-dynamic";

export function POST(request: Request): Promise<Response> {
  return handleMcpRequest(request);
}

// Answered at once: the stateless transport would hold a GET open, and mcp-remote probes with GET first.
export function GET(request: Request): Response {
  return methodNotAllowed(request);
}

export function DELETE(request: Request): Response {
  return methodNotAllowed(request);
}

// The CORS preflight of a browser-based client on an origin in MCP_ALLOWED_ORIGINS.
export function OPTIONS(request: Request): Response {
  return preflight(request);
}
