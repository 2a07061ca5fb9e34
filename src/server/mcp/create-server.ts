import { McpServer } from "@modelcontextprotocol/server";
import { AjvJsonSchemaValidator } from "@modelcontextprotocol/server/validators/ajv";
import type { Database } from "~/server/db/client";
import type { TokenScope } from "~/server/tokens/scopes";
import type { McpCallTrail } from "./activity";
import type { McpCaller } from "./caller";
import type { McpMessage } from "./message";
import { missingScope, registerScopedTool, type AnyScopedTool } from "./scoped-tools";
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

/**
 * How long a 2026-07-28 client may reuse a tools/list answer. "private": the list depends on the token's scopes,
 * so no cache shared between people may keep it. Short, because a token's scopes can change with a new grant.
 */
export const TOOLS_LIST_CACHE = { ttlMs: 60_000, cacheScope: "private" } as const;

/** Every tool, in the order tools/list shows them. Defined once per process; see defineScopedTool. */
const TOOLS: readonly AnyScopedTool[] = [...accountTools, ...hospitalTools, ...bookingTools];
const TOOLS_BY_NAME = new Map(TOOLS.map((tool) => [tool.name, tool]));

/** What one request's server is built from: who calls, on which database, for which message. */
export interface McpExchange {
  caller: McpCaller;
  db: Database;
  message: McpMessage;
  trail: McpCallTrail | null;
}

/**
 * A server for one request (stateless HTTP needs a fresh one each time), bound to the caller's token. It registers
 * the tools the token's scopes permit, which is what tools/list shows; a tools/call registers only the tool it names
 * (building the server is then a fraction of the request's cost), even one outside the scopes, whose call then says
 * which scope is missing.
 */
export function createMcpServer(exchange: McpExchange): McpServer {
  const server = new McpServer(
    { name: "carestral", title: "Carestral", version: "1.0.0" },
    {
      instructions: INSTRUCTIONS,
      jsonSchemaValidator,
      // Declared up front: a tools/call naming an unknown tool registers nothing and must still reach the
      // SDK's tools/call handler ("Tool x not found"), not "Method not found".
      capabilities: { tools: { listChanged: false } },
      cacheHints: { "tools/list": TOOLS_LIST_CACHE },
    },
  );
  const ctx = { db: exchange.db, caller: exchange.caller, trail: exchange.trail ?? undefined };
  const { toolName } = exchange.message;
  const tools = toolName === null ? TOOLS.filter((tool) => missingScope(tool, exchange.caller.token.scopes) === null) : [TOOLS_BY_NAME.get(toolName)];
  for (const tool of tools) if (tool) registerScopedTool(server, ctx, tool);
  return server;
}

/** The scope `scopes` lack to call the tool named `name`, or undefined when it may be called or does not exist. */
export function missingScopeOf(name: string, scopes: readonly TokenScope[]): TokenScope | undefined {
  const tool = TOOLS_BY_NAME.get(name);
  return (tool && missingScope(tool, scopes)) ?? undefined;
}
