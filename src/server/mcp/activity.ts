import "server-only";
import type { RequestId } from "@modelcontextprotocol/server";
import { ActivityRecorder } from "~/server/activity/recorder";
import { ACTIVITY_TOOL_MAX_LENGTH, type ActivityOutcome } from "~/server/activity/schemas";
import { clientIpFromHeaders } from "~/server/auth/client-ip";
import type { Database } from "~/server/db/client";
import type { McpCaller } from "./caller";
import type { McpMessage } from "./message";

// The activity trail's side of /api/mcp: one row per authenticated JSON-RPC request (a tool call or a
// method), recorded off the response path. DESIGN: the per-call trail; README: Activity trail.

// One recorder per process, on globalThis: Next.js may load this module in more than one bundle
// (the route and instrumentation.ts), and shutdown must flush the buffer the route filled.
const globalForTrail = globalThis as unknown as { carestralActivityRecorder?: ActivityRecorder };
export const activityRecorder: ActivityRecorder = (globalForTrail.carestralActivityRecorder ??= new ActivityRecorder());

/** What a tool adds to its call's row: how it ended, and a few words a person recognises the call by. */
export interface ToolCallNote {
  outcome: ActivityOutcome;
  summary: string | null;
}

/** The hook tools see (ToolContext.trail): notes about the call with this JSON-RPC id. */
export interface McpCallTrail {
  noteToolCall(requestId: RequestId, note: ToolCallNote): void;
}

const SUMMARY_MAX_LENGTH = 200;
const USER_AGENT_MAX_LENGTH = 256;

interface PendingCall {
  tool: string;
  note?: ToolCallNote;
}

type Answer = "ok" | "is_error" | "client_error" | "server_error" | "none";

/**
 * Tracks the call of one HTTP request: which tool or method the message asks for, how it ended (noted by the tool,
 * or else read from the answer), then records one row when the request is done.
 */
export class McpRequestActivity implements McpCallTrail {
  private readonly call: PendingCall | null;
  private readonly id: RequestId | null;
  private readonly started = performance.now();
  private readonly at = new Date();

  constructor(
    private readonly request: Request,
    private readonly caller: McpCaller,
    private readonly db: Database,
    message: Pick<McpMessage, "id" | "method" | "toolName">,
  ) {
    // A notification has no id and gets no answer: it is not a call.
    this.id = message.id;
    const tool = message.toolName || message.method;
    this.call = message.id !== null && tool ? { tool: tool.slice(0, ACTIVITY_TOOL_MAX_LENGTH) } : null;
  }

  noteToolCall(requestId: RequestId, note: ToolCallNote): void {
    if (this.call && requestId === this.id) this.call.note = { outcome: note.outcome, summary: note.summary?.slice(0, SUMMARY_MAX_LENGTH) ?? null };
  }

  /**
   * Records the call, given the response it was answered with. A tool that ran has noted its outcome; otherwise
   * (a protocol method, arguments the SDK refused, an unknown tool) the JSON-RPC answer says how it went.
   */
  async finish(response: Response): Promise<void> {
    if (!this.call) return;
    const answer = this.call.note ? "none" : await answerOf(response);
    this.record(this.call.note?.outcome ?? outcomeOfAnswer(answer, response.status));
  }

  /** Records the call with one outcome, for requests refused before the server ran them. */
  finishAs(outcome: ActivityOutcome): void {
    this.record(outcome);
  }

  private record(outcome: ActivityOutcome): void {
    if (!this.call) return;
    const durationMs = Math.max(0, Math.round(performance.now() - this.started));
    const ip = clientIpFromHeaders(this.request.headers);
    const userAgent = this.request.headers.get("user-agent")?.slice(0, USER_AGENT_MAX_LENGTH) ?? null;
    activityRecorder.record(this.db, {
      at: this.at,
      userId: this.caller.user.id,
      tokenId: this.caller.token.id,
      tool: this.call.tool,
      outcome,
      durationMs,
      clientIp: ip === "unknown" ? null : ip,
      userAgent,
      summary: this.call.note?.summary ?? null,
    });
  }
}

/** The JSON-RPC answer in a JSON response, read from a copy (the response itself goes to the client untouched). */
async function answerOf(response: Response): Promise<Answer> {
  if (!response.headers.get("content-type")?.includes("application/json")) return "none";
  try {
    const message = (await response.clone().json()) as { error?: { code?: unknown }; result?: { isError?: unknown } };
    if (message.error) return message.error.code === -32603 ? "server_error" : "client_error";
    if (message.result) return message.result.isError === true ? "is_error" : "ok";
  } catch {
    // Not one JSON-RPC message: judged by its status below.
  }
  return "none";
}

/** Starts tracking an authenticated request whose body is `message`, or null when the trail is off. */
export function beginMcpActivity(request: Request, caller: McpCaller, db: Database, message: McpMessage): McpRequestActivity | null {
  return activityRecorder.enabled ? new McpRequestActivity(request, caller, db, message) : null;
}

/**
 * For the rate limits: records the refused request as rate_limited, before its body is read. A 2026-07-28 client
 * names the method and tool in its Mcp-Method and Mcp-Name headers; a 2025 one is recorded as a call to "unknown".
 */
export function recordRateLimitedMcpCall(request: Request, caller: McpCaller, db: Database): void {
  if (!activityRecorder.enabled) return;
  const method = request.headers.get("mcp-method") ?? "unknown";
  const name = request.headers.get("mcp-name");
  const toolName = method === "tools/call" && name ? name : null;
  new McpRequestActivity(request, caller, db, { id: 0, method, toolName }).finishAs("rate_limited");
}

function outcomeOfAnswer(answer: Answer, status: number): ActivityOutcome {
  switch (answer) {
    case "ok":
      return "ok";
    case "is_error":
    case "client_error":
      return "tool_error";
    case "server_error":
      return "server_error";
    default:
      // No JSON-RPC answer: the transport refused the request (4xx) or the server failed.
      return status >= 500 ? "server_error" : status < 300 ? "ok" : "tool_error";
  }
}

// Refusals before authentication (401) are counted per reason, not stored per request: they carry no
// trustworthy identity, and storing them would let anyone fill the table.
const globalForRefusals = globalThis as unknown as { carestralAuthRefusals?: Map<string, number> };
const authRefusals = (globalForRefusals.carestralAuthRefusals ??= new Map<string, number>());
let refusalLogTimer: ReturnType<typeof setTimeout> | undefined;
const REFUSAL_LOG_INTERVAL_MS = 60_000;

/** Counts one 401 by reason; a summary line reaches the log at most once a minute. */
export function countAuthRefusal(reason: string): void {
  authRefusals.set(reason, (authRefusals.get(reason) ?? 0) + 1);
  if (refusalLogTimer) return;
  refusalLogTimer = setTimeout(() => {
    refusalLogTimer = undefined;
    const counts = [...authRefusals].map(([why, count]) => `${why} ${count}`).join(", ");
    authRefusals.clear();
    if (counts) console.warn(`MCP refused unauthenticated requests in the last minute: ${counts}`);
  }, REFUSAL_LOG_INTERVAL_MS);
  refusalLogTimer.unref?.();
}

/** The 401 refusals counted since the last summary line, per reason. */
export function authRefusalCounts(): Record<string, number> {
  return Object.fromEntries(authRefusals);
}
