import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { AjvJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/ajv-provider.js";
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import type { Database } from "~/server/db/client";
import type { TokenScope } from "~/server/tokens/scopes";
import type { McpCallTrail } from "./activity";
import { callerFromAuthInfo } from "./caller";
import { listPermittedToolsOnly, type ToolContext } from "./scoped-tools";
import { registerAccountTools } from "./tools/account";
import { registerBookingTools } from "./tools/bookings";
import { registerHospitalTools } from "./tools/hospitals";

const INSTRUCTIONS =
  "Carestral lets you look up French hospitals and manage the user's own hospital appointments. " +
  "Find hospitals with hospitals_search, check one with hospitals_get, then book with bookings_create " +
  "after the user confirms. bookings_list shows their appointments; bookings_cancel cancels one.";

// Each Server would otherwise build its own Ajv instance (costly, and only used for elicitation); one
// validator and its compiled-schema cache serve every request.
const jsonSchemaValidator = new AjvJsonSchemaValidator();

/** A server for one request: stateless HTTP needs a fresh one each time, bound to the caller's token. */
export function createMcpServer(auth: AuthInfo, db: Database, trail?: McpCallTrail | null): McpServer {
  return buildMcpServer(auth, db, trail).server;
}

/** createMcpServer, and for each tool outside the token's scopes the scope it lacks (for HTTP's 403 step-up). */
export function buildMcpServer(
  auth: AuthInfo,
  db: Database,
  trail?: McpCallTrail | null,
): { server: McpServer; missingScopeOf: (tool: string) => TokenScope | undefined } {
  const server = new McpServer(
    { name: "carestral", title: "Carestral", version: "1.0.0" },
    { instructions: INSTRUCTIONS, jsonSchemaValidator },
  );
  const ctx: ToolContext = { db, caller: callerFromAuthInfo(auth), permittedTools: [], missingScopes: new Map(), trail: trail ?? undefined };
  registerAccountTools(server, ctx);
  registerHospitalTools(server, ctx);
  registerBookingTools(server, ctx);
  listPermittedToolsOnly(server, ctx);
  return { server, missingScopeOf: (tool) => ctx.missingScopes.get(tool) };
}
