import type { McpServer, ToolCallback } from "@modelcontextprotocol/sdk/server/mcp.js";
import { ListToolsRequestSchema, type CallToolResult, type Tool, type ToolAnnotations } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { env } from "~/env";
import { isDatabaseUnavailable, type Database } from "~/server/db/client";
import { withDatabaseDeadline } from "~/server/db/deadline";
import { describeError } from "~/server/describe-error";
import { DomainError } from "~/server/domain-error";
import type { TokenScope } from "~/server/tokens/scopes";
import type { ActivityOutcome } from "~/server/activity/schemas";
import type { McpCallTrail } from "./activity";
import type { McpCaller } from "./caller";

export interface ToolContext {
  db: Database;
  caller: McpCaller;
  /** Filled by registerScopedTool: what tools/list shows for this request's token. */
  permittedTools: Tool[];
  /** Filled by registerScopedTool: the tools this request's token may not call, and the scope each needs. */
  missingScopes: Map<string, TokenScope>;
  /** The activity trail of this request, when it is on. */
  trail?: McpCallTrail;
}

// Shared annotations. None of our tools reaches outside Carestral, hence openWorldHint: false.
export const READ_ONLY: ToolAnnotations = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };
export const CREATES: ToolAnnotations = { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false };
export const DESTRUCTIVE_IDEMPOTENT: ToolAnnotations = { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false };

export interface ScopedTool<Input extends z.ZodObject, Output extends z.ZodObject> {
  name: string;
  /** The scope the token needs; null for tools any valid token may call. */
  scope: TokenScope | null;
  title: string;
  /** Tells a model when to use the tool. */
  description: string;
  inputSchema: Input;
  outputSchema: Output;
  annotations: ToolAnnotations;
  /** Arguments arrive validated by the SDK against inputSchema. Throw DomainError for what the caller can fix. */
  run(args: z.output<Input>, ctx: ToolContext): Promise<z.input<Output>>;
  /**
   * A few words for the activity trail that let a person recognise the call (a hospital and specialty, a
   * city). Never an argument a person typed freely, such as a note. `output` is null when the call failed.
   */
  summarize?(args: z.output<Input>, output: z.input<Output> | null): string | null;
}

/**
 * Registers a tool that answers with structuredContent (checked against outputSchema) plus the same
 * JSON as text, for clients that only read text. Every tool is registered, so that calling one outside
 * the token's scopes says which scope is missing instead of "tool not found"; only permitted ones are listed.
 */
export function registerScopedTool<Input extends z.ZodObject, Output extends z.ZodObject>(
  server: McpServer,
  ctx: ToolContext,
  tool: ScopedTool<Input, Output>,
): void {
  const permitted = tool.scope === null || ctx.caller.token.scopes.includes(tool.scope);
  if (!permitted && tool.scope !== null) {
    ctx.missingScopes.set(tool.name, tool.scope);
    // Any arguments: the SDK validates them before the callback runs, and the caller must hear about the
    // missing scope, not about an argument of a tool it cannot use.
    server.registerTool(tool.name, { title: tool.title, description: tool.description, inputSchema: anyArguments }, (_args, extra) => {
      ctx.trail?.noteToolCall(extra.requestId, { outcome: "scope_refused", summary: null });
      return missingScopeResult(tool.name, tool.scope);
    });
    return;
  }
  // Registered through the erased z.ZodObject: the SDK's conditional callback type cannot see through a generic.
  const inputSchema: z.ZodObject = tool.inputSchema;
  const config = {
    title: tool.title,
    description: tool.description,
    inputSchema,
    outputSchema: tool.outputSchema,
    annotations: tool.annotations,
  };
  const callback: ToolCallback<z.ZodObject> = async (rawArgs, extra): Promise<CallToolResult> => {
    // The SDK has already parsed args with tool.inputSchema.
    const args = rawArgs as z.output<Input>;
    const note = (outcome: ActivityOutcome, output: z.input<Output> | null) =>
      ctx.trail?.noteToolCall(extra.requestId, { outcome, summary: summaryOf(tool, args, output) });
    try {
      const result = await withDatabaseDeadline(tool.run(args, ctx));
      const structured: Record<string, unknown> = tool.outputSchema.parse(result);
      note("ok", result);
      return { structuredContent: structured, content: [{ type: "text", text: JSON.stringify(structured, null, 2) }] };
    } catch (error) {
      note(error instanceof DomainError ? "tool_error" : "server_error", null);
      return failureResult(tool.name, error);
    }
  };
  server.registerTool(tool.name, config, callback);
  ctx.permittedTools.push({
    name: tool.name,
    title: tool.title,
    description: tool.description,
    ...toolJsonSchemasFor(tool),
    annotations: tool.annotations,
  });
}

const anyArguments = z.object({}).loose();

function summaryOf<Input extends z.ZodObject, Output extends z.ZodObject>(
  tool: ScopedTool<Input, Output>,
  args: z.output<Input>,
  output: z.input<Output> | null,
): string | null {
  try {
    return tool.summarize?.(args, output) ?? null;
  } catch {
    // A summary is a courtesy: it never turns a call into a failure.
    return null;
  }
}

/**
 * McpServer lists every registered tool. Replace its tools/list with one that shows only the tools the
 * token's scopes permit (DESIGN: MCP). Call after every registerScopedTool.
 */
export function listPermittedToolsOnly(server: McpServer, ctx: ToolContext): void {
  server.server.removeRequestHandler("tools/list");
  server.server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: ctx.permittedTools }));
}

// A tool's schemas never change, so their JSON Schema is computed once per tool, not on every request.
const toolJsonSchemas = new Map<string, Pick<Tool, "inputSchema" | "outputSchema">>();

function toolJsonSchemasFor(tool: { name: string; inputSchema: z.ZodObject; outputSchema: z.ZodObject }) {
  let schemas = toolJsonSchemas.get(tool.name);
  if (!schemas) {
    schemas = { inputSchema: objectJsonSchema(tool.inputSchema, "input"), outputSchema: objectJsonSchema(tool.outputSchema, "output") };
    toolJsonSchemas.set(tool.name, schemas);
  }
  return schemas;
}

function objectJsonSchema(schema: z.ZodObject, io: "input" | "output"): Tool["inputSchema"] {
  // The same conversion the SDK applies to registered tools (draft-7).
  const json = z.toJSONSchema(schema, { target: "draft-7", io }) as Record<string, unknown>;
  return { ...json, type: "object" };
}

function missingScopeResult(toolName: string, scope: TokenScope | null): CallToolResult {
  return errorResult(
    `This token does not have the "${scope}" scope, which ${toolName} needs. ` +
      `Ask the user to create a token with ${scope} at ${env.APP_URL}/dashboard/tokens and use it instead.`,
  );
}

function failureResult(toolName: string, error: unknown): CallToolResult {
  if (error instanceof DomainError) return errorResult(error.message);
  if (isDatabaseUnavailable(error)) return errorResult("The database is unavailable right now. Try again in a moment.");
  // Unexpected: log once, without arguments (they may hold personal notes) or query parameters.
  console.error(`MCP tool ${toolName} failed: ${describeError(error)}`);
  return errorResult(`${toolName} failed because of a server error. Try again later; if it keeps failing, tell the user.`);
}

function errorResult(message: string): CallToolResult {
  return { isError: true, content: [{ type: "text", text: message }] };
}
