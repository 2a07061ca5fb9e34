import { handleMcpRequest, methodNotAllowed } from "~/server/mcp/http";

export const dynamic = "force-dynamic";

export function POST(request: Request): Promise<Response> {
  return handleMcpRequest(request);
}

// Answered at once: the stateless transport would hold a GET open, and mcp-remote probes with GET first.
export function GET(): Response {
  return methodNotAllowed();
}

export function DELETE(): Response {
  return methodNotAllowed();
}
