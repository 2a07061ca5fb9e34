import type { CallToolResult, McpServer, ToolAnnotations } from "@modelcontextprotocol/server";
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
import { portableSchema } from "./portable-schema";
import { log } from "~/server/observability/logger";

/** What a tool call runs with: this request's database and caller. Never shared between requests. */
export interface ToolContext {
  db: Database;
  caller: McpCaller;
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

/** A tool of any shape, so that tools can be kept in one list. */
export type AnyScopedTool = ScopedTool<z.ZodObject, z.ZodObject>;

/**
 * Checks a tool's types and erases them for the list. Tools are defined once per process, at module load:
 * their zod schemas are immutable and hold nothing about a caller, who only arrives in `ctx` at call time.
 */
export function defineScopedTool<Input extends z.ZodObject, Output extends z.ZodObject>(tool: ScopedTool<Input, Output>): AnyScopedTool {
  return tool;
}

/** The scope `scopes` lack for `tool`, or null when the tool may be called. */
export function missingScope(tool: AnyScopedTool, scopes: readonly TokenScope[]): TokenScope | null {
  return tool.scope === null || scopes.includes(tool.scope) ? null : tool.scope;
}

/**
 * Registers a tool on this request's server, bound to this request's caller. It answers with structuredContent
 * (checked against outputSchema) plus the same JSON as text, for clients that only read text. A tool outside the
 * token's scopes is registered only for a call that names it (never for tools/list, which then shows exactly
 * what the scopes allow), so that the call says which scope is missing instead of "tool not found".
 */
export function registerScopedTool(server: McpServer, ctx: ToolContext, tool: AnyScopedTool): void {
  const lacking = missingScope(tool, ctx.caller.token.scopes);
  if (lacking !== null) {
    // Any arguments: the SDK validates them before the callback runs, and the caller must hear about the
    // missing scope, not about an argument of a tool it cannot use.
    server.registerTool(tool.name, { title: tool.title, description: tool.description, inputSchema: portableSchema(anyArguments) }, (_args, extra) => {
      const result = missingScopeResult(tool.name, lacking);
      ctx.trail?.noteToolCall(extra.mcpReq.id, { outcome: "scope_refused", summary: null, error: resultText(result) });
      return result;
    });
    return;
  }
  const config = {
    title: tool.title,
    description: tool.description,
    inputSchema: portableSchema(tool.inputSchema),
    outputSchema: portableSchema(tool.outputSchema),
    annotations: tool.annotations,
  };
  server.registerTool(tool.name, config, async (args: Record<string, unknown>, extra): Promise<CallToolResult> => {
    const note = (outcome: ActivityOutcome, output: Record<string, unknown> | null, error: string | null = null) =>
      ctx.trail?.noteToolCall(extra.mcpReq.id, { outcome, summary: summaryOf(tool, args, output), error });
    try {
      // The SDK has already parsed args with tool.inputSchema.
      const result = await withDatabaseDeadline(tool.run(args, ctx));
      const structured: Record<string, unknown> = tool.outputSchema.parse(result);
      note("ok", result);
      return { structuredContent: structured, content: [{ type: "text", text: JSON.stringify(structured, null, 2) }] };
    } catch (error) {
      const result = failureResult(tool.name, error);
      // The reason the client was given (for a DomainError, what the caller can fix), never the arguments.
      note(error instanceof DomainError ? "tool_error" : "server_error", null, resultText(result));
      return result;
    }
  });
}

const anyArguments = z.object({}).loose();

function summaryOf(tool: AnyScopedTool, args: Record<string, unknown>, output: Record<string, unknown> | null): string | null {
  try {
    return tool.summarize?.(args, output) ?? null;
  } catch {
    // A summary is a courtesy: it never turns a call into a failure.
    return null;
  }
}

function missingScopeResult(toolName: string, scope: TokenScope): CallToolResult {
  return errorResult(
    `This token does not have the "${scope}" scope, which ${toolName} needs. ` +
      `Ask the user to create a token with ${scope} at ${env.APP_URL}/dashboard/tokens and use it instead.`,
  );
}

function failureResult(toolName: string, error: unknown): CallToolResult {
  if (error instanceof DomainError) return errorResult(error.message);
  if (isDatabaseUnavailable(error)) return errorResult("The database is unavailable right now. Try again in a moment.");
  // Unexpected: log once, without arguments (they may hold personal notes) or query parameters.
  log.error(`MCP tool ${toolName} failed: ${describeError(error)}`);
  return errorResult(`${toolName} failed because of a server error. Try again later; if it keeps failing, tell the user.`);
}

function resultText(result: CallToolResult): string | null {
  const [first] = result.content;
  return first?.type === "text" ? first.text : null;
}

function errorResult(message: string): CallToolResult {
  return { isError: true, content: [{ type: "text", text: message }] };
}
