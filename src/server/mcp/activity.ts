import "server-only";
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage, RequestId } from "@modelcontextprotocol/sdk/types.js";
import { ActivityRecorder } from "~/server/activity/recorder";
import { ACTIVITY_TOOL_MAX_LENGTH, type ActivityOutcome } from "~/server/activity/schemas";
import { clientIpFromHeaders } from "~/server/auth/client-ip";
import type { Database } from "~/server/db/client";

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
  answer?: "ok" | "is_error" | "client_error" | "server_error";
}

/**
 * Tracks the calls of one HTTP request: which tool or method each message asks for, how its answer went
 * (seen on the way out through the transport), then records one row per call when the request is done.
 */
export class McpRequestActivity implements McpCallTrail {
  private readonly calls = new Map<string, PendingCall>();
  private readonly started = performance.now();
  private readonly at = new Date();

  constructor(
    private readonly request: Request,
    private readonly authInfo: AuthInfo,
    private readonly db: Database,
    message: unknown,
  ) {
    for (const item of Array.isArray(message) ? message : [message]) {
      const call = requestedCall(item);
      if (call) this.calls.set(idKey(call.id), { tool: call.tool });
    }
  }

  noteToolCall(requestId: RequestId, note: ToolCallNote): void {
    const call = this.calls.get(idKey(requestId));
    if (call) call.note = { outcome: note.outcome, summary: note.summary?.slice(0, SUMMARY_MAX_LENGTH) ?? null };
  }

  /** Watches the answers the server sends back through `transport` (call before server.connect). */
  observe(transport: Transport): void {
    const send = transport.send.bind(transport);
    transport.send = (message, options) => {
      this.observeAnswer(message);
      return send(message, options);
    };
  }

  /** Records every call of the request, given the HTTP status it was answered with. */
  finish(status: number): void {
    this.record((call) => call.note?.outcome ?? outcomeOfAnswer(call.answer, status));
  }

  /** Records every call of the request with one outcome, for requests refused before the server ran them. */
  finishAs(outcome: ActivityOutcome): void {
    this.record(() => outcome);
  }

  private record(outcomeOf: (call: PendingCall) => ActivityOutcome): void {
    if (this.calls.size === 0) return;
    const ids = tokenAndUser(this.authInfo);
    if (!ids) return;
    const durationMs = Math.max(0, Math.round(performance.now() - this.started));
    const ip = clientIpFromHeaders(this.request.headers);
    const userAgent = this.request.headers.get("user-agent")?.slice(0, USER_AGENT_MAX_LENGTH) ?? null;
    for (const call of this.calls.values()) {
      activityRecorder.record(this.db, {
        at: this.at,
        userId: ids.userId,
        tokenId: ids.tokenId,
        tool: call.tool,
        outcome: outcomeOf(call),
        durationMs,
        clientIp: ip === "unknown" ? null : ip,
        userAgent,
        summary: call.note?.summary ?? null,
      });
    }
  }

  private observeAnswer(message: JSONRPCMessage): void {
    if (!("id" in message) || message.id === undefined) return;
    const call = this.calls.get(idKey(message.id));
    if (!call) return;
    if ("error" in message) {
      call.answer = message.error.code === -32603 ? "server_error" : "client_error";
    } else if ("result" in message) {
      call.answer = (message.result as { isError?: unknown }).isError === true ? "is_error" : "ok";
    }
  }
}

/** Starts tracking an authenticated request whose body is `message`, or null when the trail is off. */
export function beginMcpActivity(request: Request, authInfo: AuthInfo, db: Database, message: unknown): McpRequestActivity | null {
  return activityRecorder.enabled ? new McpRequestActivity(request, authInfo, db, message) : null;
}

/**
 * For the per-token rate limit: records the refused request's calls as rate_limited. `message` is the
 * parsed body when it was read; without it the request is recorded as one call to "unknown".
 */
export function recordRateLimitedMcpCall(request: Request, authInfo: AuthInfo, db: Database, message?: unknown): void {
  if (!activityRecorder.enabled) return;
  const body = message ?? { jsonrpc: "2.0", id: 0, method: "unknown" };
  new McpRequestActivity(request, authInfo, db, body).finishAs("rate_limited");
}

function outcomeOfAnswer(answer: PendingCall["answer"], status: number): ActivityOutcome {
  switch (answer) {
    case "ok":
      return "ok";
    case "is_error":
    case "client_error":
      return "tool_error";
    case "server_error":
      return "server_error";
    default:
      // No answer seen: the transport refused the request (4xx) or the server failed.
      return status >= 500 ? "server_error" : "tool_error";
  }
}

/** A JSON-RPC request (not a notification: those have no id and no answer) and the tool or method it calls. */
function requestedCall(item: unknown): { id: RequestId; tool: string } | null {
  if (typeof item !== "object" || item === null) return null;
  const { id, method, params } = item as { id?: unknown; method?: unknown; params?: unknown };
  if ((typeof id !== "string" && typeof id !== "number") || typeof method !== "string") return null;
  const name = method === "tools/call" ? (params as { name?: unknown } | undefined)?.name : undefined;
  const tool = typeof name === "string" && name.length > 0 ? name : method;
  return { id, tool: tool.slice(0, ACTIVITY_TOOL_MAX_LENGTH) };
}

function idKey(id: RequestId): string {
  return `${typeof id}:${id}`;
}

function tokenAndUser(authInfo: AuthInfo): { tokenId: string; userId: string } | null {
  const { tokenId, userId } = (authInfo.extra ?? {}) as { tokenId?: unknown; userId?: unknown };
  return typeof tokenId === "string" && typeof userId === "string" ? { tokenId, userId } : null;
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
