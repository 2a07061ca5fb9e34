import "server-only";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createMcpHandler, isLegacyRequest, UnsupportedProtocolVersionError, WebStandardStreamableHTTPServerTransport, type McpHttpHandler, type McpServer } from "@modelcontextprotocol/server";
import { env } from "~/env";
import { getAuthDb, getDb, isDatabaseUnavailable, withDatabaseDeadline, type Database } from "~/server/db";
import { TOKEN_SCOPES } from "~/server/tokens/scopes";
import { verifyBearerToken, type BearerVerification } from "~/server/tokens/service";
import { mcpResourceUrl, resourceMetadataUrl } from "~/server/oauth/metadata";
import { beginMcpActivity, countAuthRefusal, recordRateLimitedMcpCall, type McpRequestActivity } from "./activity";
import { createMcpServer, missingScopeOf, type McpExchange } from "./create-server";
import type { McpCaller } from "./caller";
import { parseMcpBody, readMessage, type McpMessage } from "./message";
import { describeError } from "~/server/describe-error";
import { isAppOrigin } from "~/server/http/origin";
import { serveWithFetchHandler } from "~/server/http/node-adapter";
import { mcpRateKey, McpCallLimiter } from "./call-limits";
import { SharedCallBudget, type BudgetSubject } from "./shared-call-budget";
import { declaresBodyOver, MAX_REQUEST_BODY_BYTES, PAYLOAD_TOO_LARGE_HEADERS, readBodyWithinLimit } from "~/server/http/body-limit";
import { log, noteCaller } from "~/server/observability/logger";
import { metrics } from "~/server/observability/metrics";
import { inSpan } from "~/server/observability/tracing";
import { processSingleton } from "~/server/process-singleton";

/**
 * POST /api/mcp. Cheap refusals first (Origin, size), then the token, and only then any MCP work:
 * an unauthenticated request never builds a server or parses JSON-RPC.
 */
export async function handleMcpRequest(request: Request, databases: McpDatabases = APP_DATABASES): Promise<Response> {
  const response = await answerMcpRequest(request, databases);
  // A tool result may carry personal data: no cache may keep it.
  response.headers.set("Cache-Control", "no-store");
  response.headers.set("X-Content-Type-Options", "nosniff");
  return withCors(request, response);
}

/**
 * POST /api/mcp in production: server.mjs hands the Node.js request to this directly, past Next.js's router and
 * route pipeline, which cost more CPU per call than everything /api/mcp does itself (README, "Benchmarks"). The
 * answer is the same handleMcpRequest's; `next dev` still reaches it through src/app/api/mcp/route.ts.
 */
export function serveMcpOverNode(request: IncomingMessage, response: ServerResponse): Promise<void> {
  return serveWithFetchHandler(request, response, (webRequest) => handleMcpRequest(webRequest));
}

/**
 * Where a request's queries go: verification and the shared limits on the authentication pool, tools on the main
 * one. The app's pools unless a caller names others (tests on a scratch database, the in-process benchmark), so
 * everything but the database is the path /api/mcp takes.
 */
export interface McpDatabases {
  main: () => Promise<Database>;
  auth: () => Promise<Database>;
}

// One per process, like the budgets keyed by it, however many copies of this module the bundles hold.
const APP_DATABASES: McpDatabases = processSingleton("mcpAppDatabases", () => ({ main: getDb, auth: getAuthDb }));

async function answerMcpRequest(request: Request, databases: McpDatabases): Promise<Response> {
  // DNS rebinding: a page on another site must not drive a client's local or internal endpoint (MCP
  // transport spec, "Security Warning"). Non-browser clients send no Origin; MCP_ALLOWED_ORIGINS lists the
  // browser-based clients that may call.
  const origin = request.headers.get("origin");
  if (origin !== null && !isAllowedOrigin(origin)) return foreignOrigin();

  if (declaresBodyOver(request, MAX_REQUEST_BODY_BYTES)) return payloadTooLarge();

  // The per-token rate comes before verification too, on this instance, keyed by a hash of the credential:
  // a flood of calls past the limit then costs no database round trip on the authentication pool.
  const rateKey = mcpRateKey(request.headers.get("authorization"));
  const refusal = rateKey ? callLimiter().takeCall(rateKey) : null;
  if (refusal) {
    metrics().limitRefusals.inc({ limit: "mcp_token_rate" });
    return jsonRpcError(429, -32000, refusal.message, { "Retry-After": String(refusal.retryAfterSeconds) });
  }

  let db: Database | null;
  let verification: BearerVerification;
  try {
    ({ db, verification } = await withDatabaseDeadline(authenticate(request, databases)));
  } catch (error) {
    if (isDatabaseUnavailable(error)) {
      return jsonRpcError(503, -32000, "The database is unavailable. Try again shortly.", { "Retry-After": "5" });
    }
    log.error(`MCP authentication failed: ${describeError(error)}`);
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
  // The per-token rate again, now counted across every instance (after verification: unknown tokens never write),
  // then the person's, all of their tokens together.
  const { caller } = verification;
  noteCaller({ personId: caller.user.id, tokenId: caller.token.id });
  const budgets = sharedBudgets(databases);
  const overBudget = (await budgets.token.takeCall(caller.token.id)) ?? (await budgets.person.takeCall(caller.user.id));
  if (overBudget) {
    metrics().limitRefusals.inc({ limit: "mcp_shared_rate" });
    recordRateLimitedMcpCall(request, caller, db, overBudget.message);
    return jsonRpcError(429, -32000, overBudget.message, { "Retry-After": String(overBudget.retryAfterSeconds) });
  }
  const admission = await callLimiter().enter(caller.user.id, request.signal);
  if (!admission.ok) {
    metrics().limitRefusals.inc({ limit: "mcp_person_concurrency" });
    recordRateLimitedMcpCall(request, caller, db, admission.message);
    return jsonRpcError(429, -32000, admission.message, { "Retry-After": String(admission.retryAfterSeconds) });
  }
  try {
    return await serveAuthenticated(request, caller, db);
  } finally {
    admission.release();
  }
}

async function serveAuthenticated(request: Request, caller: McpCaller, db: Database): Promise<Response> {
  // Only an authenticated caller gets its body read (and held, up to the limit).
  let bytes: Awaited<ReturnType<typeof readBodyWithinLimit>>;
  try {
    bytes = await readBodyWithinLimit(request, MAX_REQUEST_BODY_BYTES);
  } catch {
    return jsonRpcError(400, -32600, "The request body could not be read: the upload was interrupted.");
  }
  if (bytes === "too-large") return payloadTooLarge();

  // Parsed once, here; the SDK then leaves the already-read request stream alone.
  const parsed = parseMcpBody(bytes);
  switch (parsed.kind) {
    case "not-json": {
      // Let the 2025 transport give its own answer (406, 415 or a -32700 parse error) from the raw body.
      const raw = new Request(request.url, { method: "POST", headers: request.headers, body: bytes.length > 0 ? bytes : null });
      return serveMessage(raw, caller, db);
    }
    case "batch":
      // One message per request: a batch would carry any number of tool calls past the per-call limits.
      return jsonRpcError(
        400,
        -32600,
        "JSON-RPC batches are not supported: MCP protocol version 2025-06-18 removed them. Send one JSON-RPC message per HTTP request.",
      );
    case "message":
      return serveMessage(request, caller, db, parsed.message.body);
  }
}

/** Verifies on the authentication pool; tools get the main one. Opens neither for a missing or malformed token. */
async function authenticate(request: Request, databases: McpDatabases): Promise<{ db: Database | null; verification: BearerVerification }> {
  const stopTimer = metrics().verificationSeconds.startTimer();
  const verification = await inSpan("token.verify", {}, async (span) => {
    const result = await verifyBearerToken(databases.auth, request.headers.get("authorization"), mcpResourceUrl());
    span.setAttribute("carestral.verification", result.ok ? "ok" : result.reason);
    return result;
  });
  stopTimer({ result: verification.ok ? "ok" : "refused" });
  return { db: verification.ok ? await databases.main() : null, verification };
}

type SharedBudgets = Record<BudgetSubject, SharedCallBudget>;
function callLimiter(): McpCallLimiter {
  return processSingleton(
    "mcpLimiter",
    () => new McpCallLimiter({ perMinute: env.MCP_RATE_LIMIT_PER_MINUTE, concurrency: env.MCP_CONCURRENCY_PER_USER }),
  );
}

/** The shared per-token and per-person budgets counted in `databases` (one pair per database, for the process). */
function sharedBudgets(databases: McpDatabases): SharedBudgets {
  const all = processSingleton("mcpBudgets", () => new WeakMap<McpDatabases, SharedBudgets>());
  let budgets = all.get(databases);
  if (!budgets) {
    // On the authentication pool, like verification: tool queries cannot hold up the count.
    budgets = {
      token: new SharedCallBudget(databases.auth, { per: "token", perMinute: env.MCP_RATE_LIMIT_PER_MINUTE }),
      person: new SharedCallBudget(databases.auth, { per: "person", perMinute: env.MCP_RATE_LIMIT_PER_PERSON_PER_MINUTE }),
    };
    all.set(databases, budgets);
  }
  return budgets;
}

/**
 * Answers an authenticated MCP request. `body` is the JSON-RPC message when the caller has already read the body;
 * otherwise the SDK reads it. A 2026-07-28 request (it carries the `_meta` envelope) goes to the SDK's per-request
 * handler; a 2025-era one to a fresh server on a stateless transport. Both build their server from the same
 * factory (./create-server.ts), so the two eras cannot drift apart.
 */
function serveMessage(request: Request, caller: McpCaller, db: Database, body?: unknown): Promise<Response> {
  return inSpan("mcp.call", { "carestral.token_id": caller.token.id }, async (span) => {
    const { response, trail } = await answerMessage(request, caller, db, body);
    if (trail?.recorded) span.setAttributes({ "mcp.tool": trail.recorded.tool, "carestral.outcome": trail.recorded.outcome });
    span.setAttribute("http.response.status_code", response.status);
    return response;
  });
}

async function answerMessage(request: Request, caller: McpCaller, db: Database, body?: unknown): Promise<{ response: Response; trail: McpRequestActivity | null }> {
  const message = readMessage(body);
  // The activity trail: one row per call, written off the response path (./activity.ts).
  const trail = beginMcpActivity(request, caller, db, message);
  for (const guard of MESSAGE_GUARDS) {
    const refusal = guard(request, message, caller);
    if (refusal) {
      trail?.finishAs(refusal.outcome, refusal.reason);
      return { response: refusal.response, trail };
    }
  }
  const exchange: McpExchange = { caller, db, message, trail };
  const response = body !== undefined && !(await isLegacyRequest(request, body)) ? await serveModern(request, exchange) : await serveLegacy(request, exchange);
  await trail?.finish(response);
  return { response, trail };
}

/** A refusal: the answer, and how the trail records it (the outcome, and the reason the client was given). */
type MessageGuard = (request: Request, message: McpMessage, caller: McpCaller) => { response: Response; outcome: McpRefusalOutcome; reason: string } | null;
type McpRefusalOutcome = Parameters<McpRequestActivity["finishAs"]>[0];

/** Checks on the parsed message, in order, before any server is built. */
const MESSAGE_GUARDS: readonly MessageGuard[] = [headersMatchBody, insufficientScope];

/**
 * The Mcp-Method and Mcp-Name headers (2026-07-28) let the limits and the trail see the call before the body is
 * read, so the body must say the same (SEP-2243: -32020 on disagreement). The SDK checks this again on the
 * 2026-07-28 path; here it holds in both eras, before anything is recorded under the header's name.
 */
function headersMatchBody(request: Request, message: McpMessage): ReturnType<MessageGuard> {
  const method = request.headers.get("mcp-method");
  const name = request.headers.get("mcp-name");
  const disagreement =
    method !== null && method !== message.method
      ? `The Mcp-Method header (${method}) does not match the method in the body (${message.method ?? "none"}).`
      : name !== null && message.method === "tools/call" && name !== message.toolName
        ? `The Mcp-Name header (${name}) does not match the tool named in the body (${message.toolName ?? "none"}).`
        : null;
  if (disagreement === null) return null;
  return {
    response: Response.json({ jsonrpc: "2.0", error: { code: -32020, message: disagreement }, id: message.id }, { status: 400, headers: { "Cache-Control": "no-store" } }),
    outcome: "protocol_refused",
    reason: disagreement,
  };
}

/**
 * An OAuth token calling a tool outside its scopes gets HTTP 403 with an insufficient_scope challenge, so the
 * client can ask the user for more (RFC 6750 §3.1, MCP authorization "Runtime Insufficient Scope Errors"). The
 * challenge names every scope the call needs on top of those already granted, as the client re-authorizes
 * with exactly that list. Personal tokens keep the isError answer that points to the dashboard.
 */
function insufficientScope(_request: Request, message: McpMessage, caller: McpCaller): ReturnType<MessageGuard> {
  if (caller.token.kind !== "oauth_access" || message.toolName === null) return null;
  const toolName = message.toolName;
  const missing = missingScopeOf(toolName, caller.token.scopes);
  if (!missing) return null;
  const needed = TOKEN_SCOPES.filter((scope) => scope === missing || caller.token.scopes.includes(scope));
  const challenge =
    `Bearer error="insufficient_scope", scope="${needed.join(" ")}", resource_metadata="${resourceMetadataUrl()}", ` +
    `error_description="${toolName} needs the ${missing} scope"`;
  const reason = `${toolName} needs the ${missing} scope, which this connection was not granted.`;
  return {
    response: Response.json({ jsonrpc: "2.0", error: { code: -32003, message: reason }, id: message.id }, { status: 403, headers: { "Cache-Control": "no-store", "WWW-Authenticate": challenge } }),
    outcome: "scope_refused",
    reason,
  };
}

/** 2025-11-25 back to 2025-03-26: a fresh server on a stateless transport answering in JSON, as before the v2 SDK. */
async function serveLegacy(request: Request, exchange: McpExchange): Promise<Response> {
  const server = createMcpServer(exchange);
  const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  await server.connect(transport);
  try {
    return await transport.handleRequest(request, { parsedBody: exchange.message.body });
  } finally {
    closeAfterResponse(server);
  }
}

/** Closing holds nothing the answer needs, so it runs once the response is on its way rather than before. */
function closeAfterResponse(server: McpServer): void {
  setImmediate(() => {
    server.close().catch((error: unknown) => log.error(`Closing an MCP server failed: ${describeError(error)}`));
  });
}

// The SDK's factory learns which exchange it serves from the request it is handed (McpRequestContext.requestInfo).
const exchanges = new WeakMap<Request, McpExchange>();

/** 2026-07-28: the SDK's per-request handler (server/discover, the header checks, resultType, cache fields). */
async function serveModern(request: Request, exchange: McpExchange): Promise<Response> {
  exchanges.set(request, exchange);
  return modernHandler().fetch(request, { parsedBody: exchange.message.body });
}

// One per copy of this module, not per process: its factory reads this copy's `exchanges`.
let modern: McpHttpHandler | undefined;

function modernHandler(): McpHttpHandler {
  modern ??= createMcpHandler(
    ({ requestInfo }) => {
      const exchange = requestInfo && exchanges.get(requestInfo);
      if (!exchange) throw new Error("an MCP request reached the server factory without its exchange");
      return createMcpServer(exchange);
    },
    {
      // 2025-era requests never reach this handler: serveMessage sends them to serveLegacy.
      legacy: "reject",
      onerror: (error) => {
        // Refusals (a wrong version, headers that disagree) are answered to the client; only failures are logged.
        if (error instanceof UnsupportedProtocolVersionError || error.message.startsWith("Rejected ")) return;
        log.error(`MCP request failed: ${describeError(error)}`);
      },
    },
  );
  return modern;
}

/** GET (a server-to-client SSE stream) and DELETE (ending a session) mean nothing without sessions. */
export function methodNotAllowed(request: Request): Response {
  return withCors(request, jsonRpcError(405, -32000, "Method not allowed. This MCP endpoint is stateless: send JSON-RPC messages with POST.", { Allow: "POST" }));
}

// What a browser-based client sends and must read (MCP transport: the protocol headers; RFC 6750 and 9728:
// the challenge; the limits: Retry-After).
const CORS_ALLOWED_HEADERS = "Authorization, Content-Type, Accept, MCP-Protocol-Version, Mcp-Method, Mcp-Name, Mcp-Session-Id, Last-Event-ID";
const CORS_EXPOSED_HEADERS = "WWW-Authenticate, Retry-After";

/** OPTIONS: the CORS preflight of a page on an origin listed in MCP_ALLOWED_ORIGINS; any other origin is refused. */
export function preflight(request: Request): Response {
  const origin = request.headers.get("origin");
  if (origin === null || !env.MCP_ALLOWED_ORIGINS.includes(origin)) return foreignOrigin();
  return withCors(
    request,
    new Response(null, {
      status: 204,
      headers: { "Access-Control-Allow-Methods": "POST, GET, DELETE", "Access-Control-Allow-Headers": CORS_ALLOWED_HEADERS, "Access-Control-Max-Age": "600" },
    }),
  );
}

function isAllowedOrigin(origin: string): boolean {
  return isAppOrigin(origin) || env.MCP_ALLOWED_ORIGINS.includes(origin);
}

function foreignOrigin(): Response {
  return jsonRpcError(403, -32600, `Requests from other web origins are refused. Only ${env.APP_URL} may call this endpoint from a browser.`);
}

/** Every answer to a listed origin carries CORS, refusals (401, 403, 429) included: the client must read them. */
function withCors(request: Request, response: Response): Response {
  if (env.MCP_ALLOWED_ORIGINS.length === 0) return response;
  response.headers.append("Vary", "Origin");
  const origin = request.headers.get("origin");
  if (origin !== null && env.MCP_ALLOWED_ORIGINS.includes(origin)) {
    response.headers.set("Access-Control-Allow-Origin", origin);
    response.headers.set("Access-Control-Expose-Headers", CORS_EXPOSED_HEADERS);
  }
  return response;
}

function payloadTooLarge(): Response {
  return jsonRpcError(413, -32600, "The request body is larger than 1 MiB.", PAYLOAD_TOO_LARGE_HEADERS);
}

function jsonRpcError(status: number, code: number, message: string, headers: Record<string, string> = {}): Response {
  return Response.json({ jsonrpc: "2.0", error: { code, message }, id: null }, { status, headers: { "Cache-Control": "no-store", ...headers } });
}
