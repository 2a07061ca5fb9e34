import "server-only";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { env } from "~/env";
import { getAuthDb, getDb, isDatabaseUnavailable, withDatabaseDeadline, type Database } from "~/server/db";
import { TOKEN_SCOPES, type TokenScope } from "~/server/tokens/scopes";
import { verifyBearerToken, type BearerVerification } from "~/server/tokens/service";
import { mcpResourceUrl, resourceMetadataUrl } from "~/server/oauth/metadata";
import { beginMcpActivity, countAuthRefusal, recordRateLimitedMcpCall } from "./activity";
import { buildMcpServer, calledToolName } from "./create-server";
import type { McpCaller } from "./caller";
import { describeError } from "~/server/describe-error";
import { isAppOrigin } from "~/server/http/origin";
import { sha256Hex } from "~/server/hash";
import { McpCallLimiter } from "./call-limits";
import { SharedCallBudget } from "./shared-call-budget";
import { declaresBodyOver, MAX_REQUEST_BODY_BYTES, PAYLOAD_TOO_LARGE_HEADERS, readBodyWithinLimit } from "~/server/http/body-limit";

/**
 * POST /api/mcp. Cheap refusals first (Origin, size), then the token, and only then any MCP work:
 * an unauthenticated request never builds a server or parses JSON-RPC.
 */
export async function handleMcpRequest(request: Request): Promise<Response> {
  const response = await answerMcpRequest(request);
  // A tool result may carry personal data: no cache may keep it.
  response.headers.set("Cache-Control", "no-store");
  response.headers.set("X-Content-Type-Options", "nosniff");
  return response;
}

async function answerMcpRequest(request: Request): Promise<Response> {
  // DNS rebinding: a page on another site must not drive a client's local or internal endpoint (MCP
  // transport spec, "Security Warning"). Non-browser clients send no Origin.
  const origin = request.headers.get("origin");
  if (origin !== null && !isAppOrigin(origin)) {
    return jsonRpcError(403, -32600, `Requests from other web origins are refused. Only ${env.APP_URL} may call this endpoint from a browser.`);
  }

  if (declaresBodyOver(request, MAX_REQUEST_BODY_BYTES)) return payloadTooLarge();

  // The per-token rate comes before verification too, on this instance, keyed by a hash of the credentials:
  // a flood of calls past the limit then costs no database round trip on the authentication pool.
  const authorization = request.headers.get("authorization");
  const refusal = authorization ? callLimiter().takeCall(sha256Hex(authorization)) : null;
  if (refusal) return jsonRpcError(429, -32000, refusal.message, { "Retry-After": String(refusal.retryAfterSeconds) });

  let db: Database | null;
  let verification: BearerVerification;
  try {
    ({ db, verification } = await withDatabaseDeadline(authenticate(request)));
  } catch (error) {
    if (isDatabaseUnavailable(error)) {
      return jsonRpcError(503, -32000, "The database is unavailable. Try again shortly.", { "Retry-After": "5" });
    }
    console.error(`MCP authentication failed: ${describeError(error)}`);
    return jsonRpcError(500, -32603, "Internal server error.");
  }

  if (!verification.ok) {
    countAuthRefusal(verification.reason);
    // RFC 6750 §3 and RFC 9728 §5.1. The description is fixed text per reason, never the token. `scope` tells an
    // OAuth client what to ask for (MCP authorization, "Scope Selection Strategy").
    const challenge =
      `Bearer error="invalid_token", error_description="${verification.description}", ` +
      `scope="${TOKEN_SCOPES.join(" ")}", resource_metadata="${resourceMetadataUrl()}"`;
    return jsonRpcError(401, -32001, verification.description, { "WWW-Authenticate": challenge });
  }

  if (!db) throw new Error("an authenticated request has no database");
  // The per-token rate again, now counted across every instance (after verification: unknown tokens never write).
  const overBudget = await sharedBudget().takeCall(verification.authInfo.clientId);
  if (overBudget) {
    recordRateLimitedMcpCall(request, verification.authInfo, db);
    return jsonRpcError(429, -32000, overBudget.message, { "Retry-After": String(overBudget.retryAfterSeconds) });
  }
  const admission = callLimiter().enter(callerUserId(verification.authInfo));
  if (!admission.ok) {
    recordRateLimitedMcpCall(request, verification.authInfo, db);
    return jsonRpcError(429, -32000, admission.message, { "Retry-After": String(admission.retryAfterSeconds) });
  }
  try {
    return await serveAuthenticated(request, verification.authInfo, db);
  } finally {
    admission.release();
  }
}

async function serveAuthenticated(request: Request, authInfo: AuthInfo, db: Database): Promise<Response> {
  // Only an authenticated caller gets its body read (and held, up to the limit).
  let body: Awaited<ReturnType<typeof readBodyWithinLimit>>;
  try {
    body = await readBodyWithinLimit(request, MAX_REQUEST_BODY_BYTES);
  } catch {
    return jsonRpcError(400, -32600, "The request body could not be read: the upload was interrupted.");
  }
  if (body === "too-large") return payloadTooLarge();

  const message = parseJson(body);
  if (message === NOT_JSON) {
    // Let the transport give its own answer (406, 415 or a -32700 parse error) from the raw body.
    const raw = new Request(request.url, { method: "POST", headers: request.headers, body: body.length > 0 ? body : null });
    return serveMcpRequest(raw, authInfo, db);
  }
  // One message per request: a batch would carry any number of tool calls past the per-call limits.
  if (Array.isArray(message)) {
    return jsonRpcError(
      400,
      -32600,
      "JSON-RPC batches are not supported: MCP protocol version 2025-06-18 removed them. Send one JSON-RPC message per HTTP request.",
    );
  }
  // Parsed once, here; the transport then leaves the already-read request stream alone.
  return serveMcpRequest(request, authInfo, db, message);
}

/** Verifies on the authentication pool; tools get the main one. Opens neither for a missing or malformed token. */
async function authenticate(request: Request): Promise<{ db: Database | null; verification: BearerVerification }> {
  const verification = await verifyBearerToken(getAuthDb, request.headers.get("authorization"), mcpResourceUrl());
  return { db: verification.ok ? await getDb() : null, verification };
}

const globalForLimits = globalThis as unknown as { carestralMcpLimiter?: McpCallLimiter; carestralMcpBudget?: SharedCallBudget };

function callLimiter(): McpCallLimiter {
  globalForLimits.carestralMcpLimiter ??= new McpCallLimiter({
    perMinute: env.MCP_RATE_LIMIT_PER_MINUTE,
    concurrency: env.MCP_CONCURRENCY_PER_USER,
  });
  return globalForLimits.carestralMcpLimiter;
}

function sharedBudget(): SharedCallBudget {
  // On the authentication pool, like verification: tool queries cannot hold up the count.
  globalForLimits.carestralMcpBudget ??= new SharedCallBudget(getAuthDb, { perMinute: env.MCP_RATE_LIMIT_PER_MINUTE });
  return globalForLimits.carestralMcpBudget;
}

function callerUserId(authInfo: AuthInfo): string {
  const userId = authInfo.extra?.userId;
  return typeof userId === "string" ? userId : authInfo.clientId;
}

const NOT_JSON = Symbol("not JSON");

function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return NOT_JSON;
  }
}

/**
 * Answers an authenticated MCP request with a fresh server and a stateless transport. `parsedBody` is the
 * JSON-RPC message when the caller has already read the body; otherwise the transport reads it.
 */
export async function serveMcpRequest(request: Request, authInfo: AuthInfo, db?: Database, parsedBody?: unknown): Promise<Response> {
  const database = db ?? (await getDb());
  // The activity trail: one row per call, written off the response path (./activity.ts).
  const activity = beginMcpActivity(request, authInfo, database, parsedBody);
  const { server, caller, missingScopeOf } = buildMcpServer(authInfo, database, { message: parsedBody, trail: activity });
  const stepUp = insufficientScope(caller, parsedBody, missingScopeOf);
  if (stepUp) {
    activity?.finishAs("scope_refused");
    return stepUp;
  }
  // Stateless (no session id) with JSON answers: any instance can serve any request, and the
  // response is complete when handleRequest resolves.
  const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  activity?.observe(transport);
  await server.connect(transport);
  let status = 500;
  try {
    const response = await transport.handleRequest(request, { authInfo, parsedBody });
    status = response.status;
    return response;
  } finally {
    activity?.finish(status);
    closeAfterResponse(server);
  }
}

/** Closing holds nothing the answer needs, so it runs once the response is on its way rather than before. */
function closeAfterResponse(server: McpServer): void {
  setImmediate(() => {
    server.close().catch((error: unknown) => console.error(`Closing an MCP server failed: ${describeError(error)}`));
  });
}

/**
 * An OAuth token calling a tool outside its scopes gets HTTP 403 with an insufficient_scope challenge, so the
 * client can ask the user for more (RFC 6750 §3.1, MCP authorization "Runtime Insufficient Scope Errors"). The
 * challenge names every scope the call needs on top of those already granted, as the client re-authorizes
 * with exactly that list. Personal tokens keep the isError answer that points to the dashboard.
 */
function insufficientScope(caller: McpCaller, message: unknown, missingScopeOf: (tool: string) => TokenScope | undefined): Response | null {
  if (caller.token.kind !== "oauth_access") return null;
  const toolName = calledToolName(message);
  const missing = toolName === null ? undefined : missingScopeOf(toolName);
  if (toolName === null || !missing) return null;
  const id = (message as { id?: unknown }).id;
  const needed = TOKEN_SCOPES.filter((scope) => scope === missing || caller.token.scopes.includes(scope));
  const challenge =
    `Bearer error="insufficient_scope", scope="${needed.join(" ")}", resource_metadata="${resourceMetadataUrl()}", ` +
    `error_description="${toolName} needs the ${missing} scope"`;
  return Response.json(
    { jsonrpc: "2.0", error: { code: -32003, message: `${toolName} needs the ${missing} scope, which this connection was not granted.` }, id: typeof id === "string" || typeof id === "number" ? id : null },
    { status: 403, headers: { "Cache-Control": "no-store", "WWW-Authenticate": challenge } },
  );
}

/** GET (a server-to-client SSE stream) and DELETE (ending a session) mean nothing without sessions. */
export function methodNotAllowed(): Response {
  return jsonRpcError(405, -32000, "Method not allowed. This MCP endpoint is stateless: send JSON-RPC messages with POST.", { Allow: "POST" });
}

function payloadTooLarge(): Response {
  return jsonRpcError(413, -32600, "The request body is larger than 1 MiB.", PAYLOAD_TOO_LARGE_HEADERS);
}

function jsonRpcError(status: number, code: number, message: string, headers: Record<string, string> = {}): Response {
  return Response.json({ jsonrpc: "2.0", error: { code, message }, id: null }, { status, headers: { "Cache-Control": "no-store", ...headers } });
}
