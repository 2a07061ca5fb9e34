import "server-only";
import type { RequestId } from "@modelcontextprotocol/server";
import { activityRecorder } from "~/server/activity/recorder";
import { recordedName } from "~/server/activity/recorded-text";
import type { ActivityOutcome } from "~/server/activity/schemas";
import { clientIpFromHeaders } from "~/server/auth/client-ip";
import type { Database } from "~/server/db/client";
import type { McpCaller } from "./caller";
import type { ClientInfo, McpMessage } from "./message";
import { log, outsideRequest } from "~/server/observability/logger";
import { metrics } from "~/server/observability/metrics";
import { processSingleton } from "~/server/process-singleton";

// The activity trail's side of /api/mcp: one row per authenticated JSON-RPC request (a tool call or a
// method), recorded off the response path. DESIGN: the per-call trail; README: Activity trail.

/** What a tool adds to its call's row: how it ended, a few words a person recognises the call by, and why it failed. */
export interface ToolCallNote {
  outcome: ActivityOutcome;
  summary: string | null;
  /** The error the client was given, when the call failed (its first line is kept). */
  error?: string | null;
}

/** The hook tools see (ToolContext.trail): notes about the call with this JSON-RPC id. */
export interface McpCallTrail {
  noteToolCall(requestId: RequestId, note: ToolCallNote): void;
}

const SUMMARY_MAX_LENGTH = 200;
const ERROR_MAX_LENGTH = 200;
const USER_AGENT_MAX_LENGTH = 256;

interface PendingCall {
  tool: string;
  /** For a name we do not record as such: what the client sent, quoted safely. */
  summary: string | null;
  note?: ToolCallNote;
}

interface Answer {
  kind: "ok" | "is_error" | "client_error" | "server_error" | "none";
  error: string | null;
}

/**
 * Tracks the call of one HTTP request: which tool or method the message asks for, how it ended (noted by the tool,
 * or else read from the answer), then records one row when the request is done.
 */
export class McpRequestActivity implements McpCallTrail {
  private readonly call: PendingCall | null;
  private readonly id: RequestId | null;
  private readonly client: ClientInfo | null;
  private readonly started = performance.now();
  private readonly at = new Date();

  constructor(
    private readonly request: Request,
    private readonly caller: McpCaller,
    private readonly db: Database,
    message: Pick<McpMessage, "id" | "method" | "toolName" | "clientInfo">,
  ) {
    // A notification has no id and gets no answer: it is not a call.
    this.id = message.id;
    const tool = message.toolName || message.method;
    this.call = message.id !== null && tool ? recordedName(tool, Boolean(message.toolName)) : null;
    this.client = clientOf(caller.token.id, request.headers.get("user-agent")?.slice(0, USER_AGENT_MAX_LENGTH) ?? null, message.clientInfo);
  }

  /** How the call was recorded (its tool or method as stored, and its outcome), once it was; for its span. */
  recorded: { tool: string; outcome: ActivityOutcome } | null = null;

  noteToolCall(requestId: RequestId, note: ToolCallNote): void {
    if (this.call && requestId === this.id) {
      this.call.note = { outcome: note.outcome, summary: note.summary?.slice(0, SUMMARY_MAX_LENGTH) ?? null, error: note.error ?? null };
    }
  }

  /**
   * Records the call, given the response it was answered with. A tool that ran has noted its outcome; otherwise
   * (a protocol method, arguments the SDK refused, an unknown tool) the JSON-RPC answer says how it went.
   */
  async finish(response: Response): Promise<void> {
    if (!this.call) return;
    const { note } = this.call;
    if (note) return this.record(note.outcome, note.error ?? null);
    const answer = await answerOf(response);
    this.record(outcomeOfAnswer(answer.kind, response.status), answer.error);
  }

  /** Records the call with one outcome (and the error the client was given), for requests refused before the server ran them. */
  finishAs(outcome: ActivityOutcome, error: string | null = null): void {
    this.record(outcome, error);
  }

  private record(outcome: ActivityOutcome, error: string | null): void {
    if (!this.call) return;
    this.recorded = { tool: this.call.tool, outcome };
    const durationMs = Math.max(0, Math.round(performance.now() - this.started));
    metrics().mcpCalls.inc({ tool: this.call.tool, outcome });
    metrics().mcpCallSeconds.observe({ tool: this.call.tool }, (performance.now() - this.started) / 1000);
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
      summary: this.call.note?.summary ?? this.call.summary,
      error: outcome === "ok" ? null : firstLine(error),
      clientName: this.client?.name ?? null,
      clientVersion: this.client?.version ?? null,
    });
  }
}

/** The first line of an error message, bounded: the reason, without whatever detail follows. */
function firstLine(text: string | null): string | null {
  const line = text?.split(/\r?\n/, 1)[0]?.trim();
  if (!line) return null;
  return line.length > ERROR_MAX_LENGTH ? `${line.slice(0, ERROR_MAX_LENGTH - 1)}…` : line;
}

/** The JSON-RPC answer in a JSON response, read from a copy (the response itself goes to the client untouched). */
async function answerOf(response: Response): Promise<Answer> {
  if (!response.headers.get("content-type")?.includes("application/json")) return { kind: "none", error: null };
  try {
    const message = (await response.clone().json()) as {
      error?: { code?: unknown; message?: unknown };
      result?: { isError?: unknown; content?: { type?: unknown; text?: unknown }[] };
    };
    if (message.error) {
      const error = typeof message.error.message === "string" ? message.error.message : null;
      return { kind: message.error.code === -32603 ? "server_error" : "client_error", error };
    }
    if (message.result) {
      if (message.result.isError !== true) return { kind: "ok", error: null };
      const text = message.result.content?.find((item) => item.type === "text")?.text;
      return { kind: "is_error", error: typeof text === "string" ? text : null };
    }
  } catch {
    // Not one JSON-RPC message: judged by its status below.
  }
  return { kind: "none", error: null };
}

// A 2025-era client names itself only in initialize; its later calls, one HTTP request each, do not. The name is
// kept for those calls in this process's memory (a bounded number of entries), per token and User-Agent: one token
// pasted into two clients (VS Code and Cursor, say) keeps each client's own name instead of the last one to
// initialize. Per instance on purpose: a call reaching an instance that did not see the initialize has no name
// (null) rather than a guessed one, and sharing the names would cost a database trip per call for a label. A
// 2026-07-28 client names itself on every request.
const rememberedClients = processSingleton("mcpClients", () => new Map<string, ClientInfo>());
const REMEMBERED_CLIENTS = 10_000;

function clientOf(tokenId: string, userAgent: string | null, sent: ClientInfo | null): ClientInfo | null {
  const key = `${tokenId} ${userAgent ?? ""}`;
  if (!sent) return rememberedClients.get(key) ?? null;
  rememberedClients.delete(key);
  rememberedClients.set(key, sent);
  if (rememberedClients.size > REMEMBERED_CLIENTS) {
    const oldest = rememberedClients.keys().next();
    if (!oldest.done) rememberedClients.delete(oldest.value);
  }
  return sent;
}

/** Starts tracking an authenticated request whose body is `message`, or null when the trail is off. */
export function beginMcpActivity(request: Request, caller: McpCaller, db: Database, message: McpMessage): McpRequestActivity | null {
  return activityRecorder.enabled ? new McpRequestActivity(request, caller, db, message) : null;
}

/**
 * For the rate limits: records the refused request as rate_limited, before its body is read. A 2026-07-28 client
 * names the method and tool in its Mcp-Method and Mcp-Name headers; a 2025 one is recorded as a call to "unknown".
 */
export function recordRateLimitedMcpCall(request: Request, caller: McpCaller, db: Database, refusal: string): void {
  if (!activityRecorder.enabled) return;
  const method = request.headers.get("mcp-method") ?? "unknown";
  const name = request.headers.get("mcp-name");
  const toolName = method === "tools/call" && name ? name : null;
  new McpRequestActivity(request, caller, db, { id: 0, method, toolName, clientInfo: null }).finishAs("rate_limited", refusal);
}

/**
 * A JSON-RPC error in a 200 is the server answering the call (an unknown tool, arguments its schema refuses): a tool
 * error. An HTTP 4xx is the protocol refusing the request before any tool ran (a version we do not serve, headers
 * that disagree with the body, a malformed message, an Accept or Content-Type the transport cannot serve).
 */
function outcomeOfAnswer(answer: Answer["kind"], status: number): ActivityOutcome {
  if (status >= 500) return "server_error";
  if (status >= 400) return "protocol_refused";
  switch (answer) {
    case "ok":
      return "ok";
    case "is_error":
    case "client_error":
      return "tool_error";
    case "server_error":
      return "server_error";
    default:
      return "ok";
  }
}

// Refusals before authentication (401) are counted per reason, not stored per request: they carry no
// trustworthy identity, and storing them would let anyone fill the table.
const authRefusals = processSingleton("authRefusals", () => new Map<string, number>());
let refusalLogTimer: ReturnType<typeof setTimeout> | undefined;
const REFUSAL_LOG_INTERVAL_MS = 60_000;

/** Counts one 401 by reason; a summary line reaches the log at most once a minute. */
export function countAuthRefusal(reason: string): void {
  authRefusals.set(reason, (authRefusals.get(reason) ?? 0) + 1);
  metrics().authRefusals.inc({ reason });
  if (refusalLogTimer) return;
  // The summary counts every request of the minute, so it carries none's ids.
  refusalLogTimer = outsideRequest(() =>
    setTimeout(() => {
      refusalLogTimer = undefined;
      const counts = [...authRefusals].map(([why, count]) => `${why} ${count}`).join(", ");
      authRefusals.clear();
      if (counts) log.warn(`MCP refused unauthenticated requests in the last minute: ${counts}`);
    }, REFUSAL_LOG_INTERVAL_MS),
  );
  refusalLogTimer.unref?.();
}

/** The 401 refusals counted since the last summary line, per reason. */
export function authRefusalCounts(): Record<string, number> {
  return Object.fromEntries(authRefusals);
}
