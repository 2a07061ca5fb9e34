import type { RequestId } from "@modelcontextprotocol/server";

/**
 * One JSON-RPC message as /api/mcp reads it, parsed once from the body: what the guards, the server factory and
 * the activity trail need. `id` is null for a notification (or a message without a usable id); `method` is null
 * for anything that is not a request or notification (a response, a malformed object); `toolName` is set only
 * for a tools/call naming a tool.
 */
export interface McpMessage {
  body: unknown;
  id: RequestId | null;
  method: string | null;
  toolName: string | null;
}

export type ParsedMcpBody = { kind: "message"; message: McpMessage } | { kind: "batch" } | { kind: "not-json" };

export function parseMcpBody(bytes: Uint8Array): ParsedMcpBody {
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return { kind: "not-json" };
  }
  if (Array.isArray(body)) return { kind: "batch" };
  return { kind: "message", message: readMessage(body) };
}

export function readMessage(body: unknown): McpMessage {
  if (typeof body !== "object" || body === null) return { body, id: null, method: null, toolName: null };
  const { id, method, params } = body as { id?: unknown; method?: unknown; params?: { name?: unknown } };
  const name = method === "tools/call" && typeof params === "object" && params !== null ? params.name : undefined;
  return {
    body,
    id: typeof id === "string" || typeof id === "number" ? id : null,
    method: typeof method === "string" ? method : null,
    toolName: typeof name === "string" ? name : null,
  };
}
