import "server-only";
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { env } from "~/env";
import { getAuthDb, getDb, isDatabaseUnavailable, withDatabaseDeadline, type Database } from "~/server/db";
import { TOKEN_SCOPES } from "~/server/tokens/scopes";
import { verifyBearerToken, type BearerVerification } from "~/server/tokens/service";
import { createMcpServer } from "./create-server";
import { describeError } from "~/server/describe-error";
import { isAppOrigin } from "~/server/http/origin";
import { sha256Hex } from "~/server/hash";
import { McpCallLimiter } from "./call-limits";
import { declaresBodyOver, MAX_REQUEST_BODY_BYTES, PAYLOAD_TOO_LARGE_HEADERS, readBodyWithinLimit } from "~/server/http/body-limit";

export const MCP_PATH = "/api/mcp";

/** The public URL of the MCP endpoint: the `resource` of RFC 9728 metadata. */
export function mcpResourceUrl(): string {
  return `${env.APP_URL}${MCP_PATH}`;
}

/** RFC 9728 §3.1: the metadata of resource https://host/api/mcp lives at /.well-known/oauth-protected-resource/api/mcp. */
export function resourceMetadataUrl(): string {
  return `${env.APP_URL}/.well-known/oauth-protected-resource${MCP_PATH}`;
}

/** RFC 9728 §2: Protected Resource Metadata. No authorization_servers: tokens come from the dashboard. */
export function protectedResourceMetadata() {
  return {
    resource: mcpResourceUrl(),
    bearer_methods_supported: ["header"],
    scopes_supported: [...TOKEN_SCOPES],
    resource_name: "Carestral",
    resource_documentation: `${env.APP_URL}/dashboard/tokens`,
  };
}

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

  // The per-token rate comes before verification, keyed by a hash of the credentials: a flood of calls
  // past the limit then costs no database round trip on the authentication pool.
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
    // RFC 6750 §3 and RFC 9728 §5.1. The description is fixed text per reason, never the token.
    const challenge = `Bearer error="invalid_token", error_description="${verification.description}", resource_metadata="${resourceMetadataUrl()}"`;
    return jsonRpcError(401, -32001, verification.description, { "WWW-Authenticate": challenge });
  }

  if (!db) throw new Error("an authenticated request has no database");
  const admission = callLimiter().enter(callerUserId(verification.authInfo));
  if (!admission.ok) {
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
  const verification = await verifyBearerToken(getAuthDb, request.headers.get("authorization"));
  return { db: verification.ok ? await getDb() : null, verification };
}

const globalForLimits = globalThis as unknown as { carestralMcpLimiter?: McpCallLimiter };

function callLimiter(): McpCallLimiter {
  globalForLimits.carestralMcpLimiter ??= new McpCallLimiter({
    perMinute: env.MCP_RATE_LIMIT_PER_MINUTE,
    concurrency: env.MCP_CONCURRENCY_PER_USER,
  });
  return globalForLimits.carestralMcpLimiter;
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
  const server = createMcpServer(authInfo, db ?? (await getDb()));
  // Stateless (no session id) with JSON answers: any instance can serve any request, and the
  // response is complete when handleRequest resolves, so the server can be closed right after.
  const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  await server.connect(transport);
  try {
    return await transport.handleRequest(request, { authInfo, parsedBody });
  } finally {
    await server.close();
  }
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
