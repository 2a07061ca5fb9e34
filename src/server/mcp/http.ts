import "server-only";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { env } from "~/env";
import { getDb, isDatabaseUnavailable, withDatabaseDeadline, type Database } from "~/server/db";
import { TOKEN_SCOPES, type TokenScope } from "~/server/tokens/scopes";
import { verifyBearerToken, type BearerVerification } from "~/server/tokens/service";
import { mcpResourceUrl, resourceMetadataUrl } from "~/server/oauth/metadata";
import { buildMcpServer, calledToolName } from "./create-server";
import type { McpCaller } from "./caller";
import { describeError } from "~/server/describe-error";
import { isAppOrigin } from "~/server/http/origin";
import { declaresBodyOver, MAX_REQUEST_BODY_BYTES, PAYLOAD_TOO_LARGE_HEADERS, readBodyWithinLimit } from "~/server/http/body-limit";

/**
 * POST /api/mcp. Cheap refusals first (Origin, size), then the token, and only then any MCP work:
 * an unauthenticated request never builds a server or parses JSON-RPC.
 */
export async function handleMcpRequest(request: Request): Promise<Response> {
  // DNS rebinding: a page on another site must not drive a client's local or internal endpoint (MCP
  // transport spec, "Security Warning"). Non-browser clients send no Origin.
  const origin = request.headers.get("origin");
  if (origin !== null && !isAppOrigin(origin)) {
    return jsonRpcError(403, -32600, `Requests from other web origins are refused. Only ${env.APP_URL} may call this endpoint from a browser.`);
  }

  if (declaresBodyOver(request, MAX_REQUEST_BODY_BYTES)) return payloadTooLarge();

  let db: Database;
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
    // RFC 6750 §3 and RFC 9728 §5.1. The description is fixed text per reason, never the token. `scope` tells an
    // OAuth client what to ask for (MCP authorization, "Scope Selection Strategy").
    const challenge =
      `Bearer error="invalid_token", error_description="${verification.description}", ` +
      `scope="${TOKEN_SCOPES.join(" ")}", resource_metadata="${resourceMetadataUrl()}"`;
    return jsonRpcError(401, -32001, verification.description, { "WWW-Authenticate": challenge });
  }

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
    return serveMcpRequest(raw, verification.authInfo, db);
  }
  // JSON-RPC 2.0 §6: an empty batch is an Invalid Request (the transport would accept it with a 202).
  if (Array.isArray(message) && message.length === 0) {
    return jsonRpcError(400, -32600, "Invalid Request: the batch is empty. Send a JSON-RPC request object.");
  }
  // Parsed once, here; the transport then leaves the already-read request stream alone.
  return serveMcpRequest(request, verification.authInfo, db, message);
}

async function authenticate(request: Request): Promise<{ db: Database; verification: BearerVerification }> {
  const db = await getDb();
  return { db, verification: await verifyBearerToken(db, request.headers.get("authorization"), mcpResourceUrl()) };
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
  const { server, caller, missingScopeOf } = buildMcpServer(authInfo, db ?? (await getDb()), parsedBody);
  const stepUp = insufficientScope(caller, parsedBody, missingScopeOf);
  if (stepUp) return stepUp;
  // Stateless (no session id) with JSON answers: any instance can serve any request, and the
  // response is complete when handleRequest resolves.
  const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  await server.connect(transport);
  try {
    return await transport.handleRequest(request, { authInfo, parsedBody });
  } finally {
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
