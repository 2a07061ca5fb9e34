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
  /** The client's own name and version: initialize's clientInfo, or the 2026-07-28 envelope's on any request. */
  clientInfo: ClientInfo | null;
}

export interface ClientInfo {
  name: string;
  version: string | null;
}

const CLIENT_INFO_META_KEY = "io.modelcontextprotocol/clientInfo";
const CLIENT_NAME_MAX_LENGTH = 64;
const CLIENT_VERSION_MAX_LENGTH = 32;

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
  if (typeof body !== "object" || body === null) return { body, id: null, method: null, toolName: null, clientInfo: null };
  const { id, method, params } = body as { id?: unknown; method?: unknown; params?: { name?: unknown; clientInfo?: unknown; _meta?: Record<string, unknown> } };
  const usableParams = typeof params === "object" && params !== null ? params : undefined;
  const name = method === "tools/call" ? usableParams?.name : undefined;
  return {
    body,
    id: typeof id === "string" || typeof id === "number" ? id : null,
    method: typeof method === "string" ? method : null,
    toolName: typeof name === "string" ? name : null,
    clientInfo: readClientInfo(method === "initialize" ? usableParams?.clientInfo : usableParams?._meta?.[CLIENT_INFO_META_KEY]),
  };
}

/** A clientInfo as the trail keeps it: one line each, bounded; anything else is no client name at all. */
function readClientInfo(value: unknown): ClientInfo | null {
  if (typeof value !== "object" || value === null) return null;
  const { name, version } = value as { name?: unknown; version?: unknown };
  const clean = (text: unknown, max: number) => (typeof text === "string" ? text.replace(/[\p{Cc}\s]+/gu, " ").trim().slice(0, max) : "");
  const cleanName = clean(name, CLIENT_NAME_MAX_LENGTH);
  if (!cleanName) return null;
  return { name: cleanName, version: clean(version, CLIENT_VERSION_MAX_LENGTH) || null };
}
