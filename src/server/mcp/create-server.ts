import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { AjvJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/ajv-provider.js";
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import type { Database } from "~/server/db/client";
import type { TokenScope } from "~/server/tokens/scopes";
import type { McpCallTrail } from "./activity";
import { callerFromAuthInfo, type McpCaller } from "./caller";
import { listPermittedToolsOnly, missingScope, registerScopedTool, type AnyScopedTool } from "./scoped-tools";
import { accountTools } from "./tools/account";
import { bookingTools } from "./tools/bookings";
import { hospitalTools } from "./tools/hospitals";

const INSTRUCTIONS =
  "Carestral lets you look up French hospitals and manage the user's own hospital appointments. " +
  "Find hospitals with hospitals_search, check one with hospitals_get, then book with bookings_create " +
  "after the user confirms. bookings_list shows their appointments; bookings_cancel cancels one.";

// Each Server would otherwise build its own Ajv instance (costly, and only used for elicitation); one
// validator and its compiled-schema cache serve every request.
const jsonSchemaValidator = new AjvJsonSchemaValidator();

/** Every tool, in the order tools/list shows them. Defined once per process; see defineScopedTool. */
const TOOLS: readonly AnyScopedTool[] = [...accountTools, ...hospitalTools, ...bookingTools];
const TOOLS_BY_NAME = new Map(TOOLS.map((tool) => [tool.name, tool]));

/** A server for one request: stateless HTTP needs a fresh one each time, bound to the caller's token. */
export function createMcpServer(auth: AuthInfo, db: Database, trail?: McpCallTrail | null): McpServer {
  return buildMcpServer(auth, db, { trail }).server;
}

/**
 * createMcpServer for one JSON-RPC `message` (when known), and for each tool outside the token's scopes the scope
 * it lacks (for HTTP's 403 step-up). A tools/call registers only the tool it names: building the server is then a
 * fraction of the request's cost. Anything else (initialize, tools/list, a batch, an unknown tool, an in-memory
 * session) gets every tool.
 */
export function buildMcpServer(
  auth: AuthInfo,
  db: Database,
  request: { message?: unknown; trail?: McpCallTrail | null } = {},
): { server: McpServer; caller: McpCaller; missingScopeOf: (tool: string) => TokenScope | undefined } {
  const caller = callerFromAuthInfo(auth);
  const server = new McpServer(
    { name: "carestral", title: "Carestral", version: "1.0.0" },
    { instructions: INSTRUCTIONS, jsonSchemaValidator },
  );
  const calledTool = TOOLS_BY_NAME.get(calledToolName(request.message) ?? "");
  const ctx = { db, caller, trail: request.trail ?? undefined };
  for (const tool of calledTool ? [calledTool] : TOOLS) registerScopedTool(server, ctx, tool);
  listPermittedToolsOnly(server, TOOLS.filter((tool) => missingScope(tool, caller.token.scopes) === null));
  return {
    server,
    caller,
    missingScopeOf: (name) => {
      const tool = TOOLS_BY_NAME.get(name);
      return (tool && missingScope(tool, caller.token.scopes)) ?? undefined;
    },
  };
}

/** The tool a single JSON-RPC tools/call request names, or null for any other message. */
export function calledToolName(message: unknown): string | null {
  if (typeof message !== "object" || message === null || Array.isArray(message)) return null;
  const { method, params } = message as { method?: unknown; params?: { name?: unknown } };
  return method === "tools/call" && typeof params?.name === "string" ? params.name : null;
}
