import { beforeAll, describe, expect, it } from "vitest";
import { SESSION_COOKIE_NAME } from "~/server/auth/cookie";
import { tokenChecksum } from "~/server/tokens/token";
import { testDatabaseUrl } from "~/test/env";
import { startTestServer } from "~/test/fixtures";
import type { TestServer } from "~/test/server";
import { signUpOverHttp, type SignedUpClient } from "~/test/trpc-http";
import {
  createToken,
  findBookableHospital,
  futureSlot,
  jsonRpc,
  postMcp,
  readableMessage,
  REQUEST_BOUND_MS,
  SERVER_ENV,
  snapshotTables,
  toolCall,
  toolResult,
  withPostgres,
  type TableSnapshot,
} from "./fixtures";

// Issue 6, hostile input: every bad request to /api/mcp, /api/trpc and the auth pages gets a 4xx with a
// readable message (or, inside MCP, a JSON-RPC error / isError result), quickly, and changes nothing.
// Runs on PostgreSQL so the test can look at the server's database from outside.

interface Reply {
  status: number;
  headers: Headers;
  text: string;
}

type Expectation =
  /** Exactly this HTTP status, with a readable message (431 excepted: Node answers it with no body). */
  | number
  /** Any 4xx with a readable message. */
  | "refused"
  /** MCP's in-protocol refusal: HTTP 200 (or 4xx) carrying a JSON-RPC error or an isError tool result, with a message. */
  | "tool-refusal"
  /** Anything else worth saying about the answer. */
  | ((reply: Reply) => void);

interface HostileCase {
  name: string;
  send: () => Promise<Response>;
  expect: Expectation;
}

interface Fixture {
  server: TestServer;
  alice: SignedUpClient;
  bob: SignedUpClient;
  aliceToken: string;
  aliceReadOnlyToken: string;
  expiredToken: string;
  revokedToken: string;
  bobTokenId: string;
  aliceBookingId: string;
  bobBookingId: string;
  hospital: { id: string; specialty: string };
}

const fx = {} as Fixture;
const MIB = 1024 * 1024;
const INJECTION = `'; DROP TABLE users; -- " OR 1=1 --`;
const UNICODE = "Ærøskøbing 🏥 مستشفى \u202eevil\u202c 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 e\u0301";

// ---- request builders (closures read the fixture when the case runs) -------------------------------

const mcp = (body: BodyInit | null, options: Parameters<typeof postMcp>[2] = {}) => postMcp(fx.server.url, body, options);
const asAlice = (body: BodyInit | null, headers: Record<string, string> = {}) => mcp(body, { token: fx.aliceToken, headers });
const aliceTool = (name: string, args: Record<string, unknown>) => asAlice(toolCall(name, args));
const whoamiWith = (authorization: string) => mcp(toolCall("whoami"), { authorization });

function rawMcp(init: RequestInit & { headers?: Record<string, string> }): Promise<Response> {
  return fetch(`${fx.server.url}/api/mcp`, { ...init, signal: AbortSignal.timeout(REQUEST_BOUND_MS) });
}

interface TrpcOptions {
  /** Whose session cookie to send; none by default. */
  as?: SignedUpClient;
  /** Origin header; the app's own by default, null for none. */
  origin?: string | null;
  contentType?: string;
  headers?: Record<string, string>;
}

function trpcHeaders(options: TrpcOptions): Record<string, string> {
  const headers: Record<string, string> = { ...options.headers };
  const origin = options.origin === undefined ? fx.server.url : options.origin;
  if (origin !== null) headers.origin = origin;
  const cookie = options.as?.jar.header();
  if (cookie) headers.cookie = cookie;
  return headers;
}

/** A tRPC mutation over raw HTTP: `input` is wrapped as superjson ({ json }) unless `raw` body is given. */
function trpcPost(path: string, input: unknown, options: TrpcOptions & { raw?: BodyInit | null } = {}): Promise<Response> {
  const body = options.raw !== undefined ? options.raw : JSON.stringify({ json: input });
  return fetch(`${fx.server.url}/api/trpc/${path}`, {
    method: "POST",
    headers: { "content-type": options.contentType ?? "application/json", ...trpcHeaders(options) },
    body,
    signal: AbortSignal.timeout(REQUEST_BOUND_MS),
    ...(body instanceof ReadableStream ? { duplex: "half" } : {}),
  } as RequestInit);
}

function trpcGet(path: string, input: unknown, options: TrpcOptions & { rawQuery?: string } = {}): Promise<Response> {
  const query = options.rawQuery ?? (input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify({ json: input }))}`);
  return fetch(`${fx.server.url}/api/trpc/${path}${query}`, {
    headers: trpcHeaders(options),
    signal: AbortSignal.timeout(REQUEST_BOUND_MS),
  });
}

function page(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${fx.server.url}${path}`, { redirect: "manual", ...init, signal: AbortSignal.timeout(REQUEST_BOUND_MS) });
}

/** 2 MiB sent as a stream, so no Content-Length: the limit must count while reading. */
function chunkedBody(bytes: number): ReadableStream<Uint8Array> {
  const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= bytes) return controller.close();
      controller.enqueue(chunk);
      sent += chunk.byteLength;
    },
  });
}

function chunkedMcp(bytes: number): Promise<Response> {
  return fetch(`${fx.server.url}/api/mcp`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream", authorization: `Bearer ${fx.aliceToken}` },
    body: chunkedBody(bytes),
    duplex: "half",
    signal: AbortSignal.timeout(REQUEST_BOUND_MS),
  } as RequestInit);
}

/** A JSON body of about `bytes` bytes that is otherwise a valid call. */
function bigJson(bytes: number, wrapInSuperjson: boolean): string {
  const padding = "x".repeat(bytes);
  return wrapInSuperjson
    ? JSON.stringify({ json: { name: "big", scopes: ["read:data"], expiresInDays: 30, padding } })
    : JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "whoami", arguments: {}, padding } });
}

// ---- tokens that look right but are not ----------------------------------------------------------

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

function withChecksum(body: string): string {
  return body + tokenChecksum(body);
}

/** One character of the random part changed, with the checksum left as it was (a typo). */
function typo(token: string): string {
  const index = 10;
  const current = token.charAt(index);
  const replacement = BASE62.charAt((BASE62.indexOf(current) + 1) % BASE62.length);
  return token.slice(0, index) + replacement + token.slice(index + 1);
}

/** One character changed and the checksum recomputed: well-formed, but no such token exists. */
function forgedFrom(token: string): string {
  return withChecksum(typo(token).slice(0, -6));
}

// ---- expectations --------------------------------------------------------------------------------

// Stack frames, build paths, and SQL with its parameters (Drizzle's "Failed query: … params: …").
const STACK_TRACE = /\n\s+at .+:\d+:\d+|node_modules|\.next-test|Failed query|params:|\$argon2/;

function assertReadable(reply: Reply, label: string): string {
  const message = readableMessage(reply.text);
  expect(message, `${label}: no readable message in ${JSON.stringify(reply.text.slice(0, 300))}`).toBeTruthy();
  expect(message?.length ?? 0, `${label}: message too terse: ${message}`).toBeGreaterThanOrEqual(8);
  expect(reply.text, `${label}: leaks internals`).not.toMatch(STACK_TRACE);
  return message ?? "";
}

function toolRefusalMessage(reply: Reply): string {
  const parsed = JSON.parse(reply.text) as {
    result?: { isError?: boolean; content?: { text?: string }[] };
    error?: { message?: string };
  };
  if (parsed.error) return parsed.error.message ?? "";
  expect(parsed.result?.isError, `expected a refusal, got a result: ${reply.text.slice(0, 300)}`).toBe(true);
  return parsed.result?.content?.[0]?.text ?? "";
}

function checkExpectation(reply: Reply, expectation: Expectation, label: string): void {
  if (typeof expectation === "function") return expectation(reply);
  if (expectation === 431) {
    // Node's HTTP parser refuses headers over its 16 KiB limit itself, with an empty body, before the app runs.
    expect(reply.status, label).toBe(431);
    return;
  }
  if (expectation === "tool-refusal") {
    expect([200, 400, 404, 422], `${label}: status`).toContain(reply.status);
    const message = toolRefusalMessage(reply);
    expect(message.trim().length, `${label}: refusal without a message`).toBeGreaterThanOrEqual(8);
    expect(message, `${label}: a server error, not a refusal of bad input`).not.toMatch(/server error|internal error/i);
    expect(reply.text, `${label}: leaks internals`).not.toMatch(STACK_TRACE);
    return;
  }
  if (expectation === "refused") {
    expect(reply.status, `${label}: ${reply.text.slice(0, 300)}`).toBeGreaterThanOrEqual(400);
    expect(reply.status, `${label}: ${reply.text.slice(0, 300)}`).toBeLessThan(500);
  } else {
    expect(reply.status, `${label}: ${reply.text.slice(0, 300)}`).toBe(expectation);
  }
  assertReadable(reply, label);
}

/** The 401 of DESIGN: a Bearer challenge naming invalid_token and the resource metadata. */
function expectBearerChallenge(reply: Reply): void {
  expect(reply.status, reply.text).toBe(401);
  const challenge = reply.headers.get("www-authenticate") ?? "";
  expect(challenge).toMatch(/^Bearer /);
  expect(challenge).toContain('error="invalid_token"');
  expect(challenge).toContain(`resource_metadata="${fx.server.url}/.well-known/oauth-protected-resource/api/mcp"`);
  assertReadable(reply, "401");
}

/** A tRPC error with this code and a message a person can act on (never "No procedure found…" by accident). */
function trpcError(status: number, code: string): (reply: Reply) => void {
  return (reply) => {
    expect(reply.status, reply.text.slice(0, 300)).toBe(status);
    const body = JSON.parse(reply.text) as { error?: { json?: { message?: string; data?: { code?: string } } } };
    expect(body.error?.json?.data?.code, reply.text.slice(0, 300)).toBe(code);
    expect(body.error?.json?.message ?? "").not.toMatch(/No procedure found/);
    assertReadable(reply, code);
  };
}

function mcpSucceeds(reply: Reply): void {
  expect(reply.status, reply.text.slice(0, 300)).toBe(200);
  const body = JSON.parse(reply.text) as { result?: { isError?: boolean }; error?: unknown };
  expect(body.error).toBeUndefined();
  expect(body.result?.isError).not.toBe(true);
}

/** A search that treats hostile text as text: it runs and finds nothing. */
function findsNoHospital(reply: Reply): void {
  mcpSucceeds(reply);
  const body = JSON.parse(reply.text) as { result?: { structuredContent?: { hospitals?: unknown[] } } };
  expect(body.result?.structuredContent?.hospitals).toEqual([]);
}

/** Either the search treats the text as text, or it refuses it with a clear message; never a server error. */
function searchHandlesOddText(reply: Reply): void {
  const body = JSON.parse(reply.text) as { result?: { isError?: boolean } };
  if (body.result?.isError) checkExpectation(reply, "tool-refusal", "odd text");
  else findsNoHospital(reply);
}

/**
 * The sign-in/sign-up page rendered with its safe default destination. (Next echoes the request URL in
 * its router payload, so the hostile text may appear there as data; it must not reach a link or the form.)
 */
function pageIgnoresNext(forbidden: string): (reply: Reply) => void {
  return (reply) => {
    expect(reply.status).toBe(200);
    // The form's props in the page's payload: next fell back to the default.
    expect(reply.text).toContain(String.raw`\"next\":\"/dashboard/tokens\"`);
    expect(reply.text).not.toMatch(new RegExp(`href="[^"]*${forbidden}`));
    expect(reply.text).not.toMatch(new RegExp(String.raw`\\"next\\":\\"[^"\\]*${forbidden}`));
  };
}

// ---- the battery ---------------------------------------------------------------------------------

const mcpCases: HostileCase[] = [
  // Malformed JSON-RPC and HTTP framing.
  { name: "mcp: malformed JSON", send: () => asAlice('{"jsonrpc":"2.0","id":1,"method":'), expect: "refused" },
  { name: "mcp: empty body", send: () => asAlice(""), expect: "refused" },
  { name: "mcp: JSON string instead of a message", send: () => asAlice('"hello"'), expect: "refused" },
  { name: "mcp: JSON null", send: () => asAlice("null"), expect: "refused" },
  { name: "mcp: message without method", send: () => asAlice('{"jsonrpc":"2.0","id":1}'), expect: "refused" },
  { name: "mcp: wrong jsonrpc version", send: () => asAlice('{"jsonrpc":"1.0","id":1,"method":"tools/list"}'), expect: "refused" },
  { name: "mcp: empty batch", send: () => asAlice("[]"), expect: "refused" },
  { name: "mcp: batch of numbers", send: () => asAlice("[1,2,3]"), expect: "refused" },
  { name: "mcp: batch of half messages", send: () => asAlice('[{"jsonrpc":"2.0"},{"id":2}]'), expect: "refused" },
  { name: "mcp: unknown method", send: () => asAlice(jsonRpc("tables/drop")), expect: "tool-refusal" },
  { name: "mcp: unknown tool", send: () => aliceTool("users_delete_all", {}), expect: "tool-refusal" },
  { name: "mcp: tools/call without params", send: () => asAlice(jsonRpc("tools/call")), expect: "tool-refusal" },
  { name: "mcp: content-type text/plain", send: () => asAlice(toolCall("whoami"), { "content-type": "text/plain" }), expect: 415 },
  {
    name: "mcp: content-type form",
    send: () => asAlice("name=whoami", { "content-type": "application/x-www-form-urlencoded" }),
    expect: 415,
  },
  {
    name: "mcp: missing Accept",
    send: () =>
      rawMcp({ method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${fx.aliceToken}` }, body: toolCall("whoami") }),
    expect: 406,
  },
  { name: "mcp: Accept text/html only", send: () => asAlice(toolCall("whoami"), { accept: "text/html" }), expect: 406 },

  // Size limits.
  { name: "mcp: 2 MiB body with Content-Length", send: () => asAlice(bigJson(2 * MIB, false)), expect: 413 },
  { name: "mcp: 2 MiB chunked body", send: () => chunkedMcp(2 * MIB), expect: 413 },
  {
    name: "mcp: 2 MiB body without a token is refused, not read into memory",
    send: () => mcp(bigJson(2 * MIB, false)),
    expect: (reply) => expect([401, 413]).toContain(reply.status),
  },
  { name: "mcp: 12 KB Authorization header", send: () => whoamiWith(`Bearer ${"A".repeat(12 * 1024)}`), expect: expectBearerChallenge },
  { name: "mcp: 12 KB extra header on a valid call still works", send: () => asAlice(toolCall("whoami"), { "x-filler": "f".repeat(12 * 1024) }), expect: mcpSucceeds },
  { name: "mcp: 64 KB header", send: () => asAlice(toolCall("whoami"), { "x-filler": "f".repeat(64 * 1024) }), expect: 431 },

  // Bad and forged tokens.
  { name: "token: none", send: () => mcp(toolCall("whoami")), expect: expectBearerChallenge },
  { name: "token: wrong prefix", send: () => whoamiWith(`Bearer ghp_${"a".repeat(49)}`), expect: expectBearerChallenge },
  { name: "token: right length, bad checksum", send: () => whoamiWith(`Bearer mcp_${"a".repeat(43)}ZZZZZZ`), expect: expectBearerChallenge },
  { name: "token: valid checksum, unknown", send: () => whoamiWith(`Bearer ${withChecksum(`mcp_${"Q".repeat(43)}`)}`), expect: expectBearerChallenge },
  { name: "token: a real one with a typo", send: () => whoamiWith(`Bearer ${typo(fx.aliceToken)}`), expect: expectBearerChallenge },
  { name: "token: a real one with a typo and a fixed checksum", send: () => whoamiWith(`Bearer ${forgedFrom(fx.aliceToken)}`), expect: expectBearerChallenge },
  { name: "token: truncated", send: () => whoamiWith(`Bearer ${fx.aliceToken.slice(0, -1)}`), expect: expectBearerChallenge },
  { name: "token: with a trailing extra character", send: () => whoamiWith(`Bearer ${fx.aliceToken}x`), expect: expectBearerChallenge },
  { name: "token: expired", send: () => whoamiWith(`Bearer ${fx.expiredToken}`), expect: expectBearerChallenge },
  { name: "token: revoked", send: () => whoamiWith(`Bearer ${fx.revokedToken}`), expect: expectBearerChallenge },
  { name: "token: Basic scheme", send: () => whoamiWith(`Basic ${Buffer.from(`alice:${fx.aliceToken}`).toString("base64")}`), expect: expectBearerChallenge },
  { name: "token: Basic scheme carrying the raw token", send: () => whoamiWith(`Basic ${fx.aliceToken}`), expect: expectBearerChallenge },
  { name: "token: Bearer with no credentials", send: () => whoamiWith("Bearer"), expect: expectBearerChallenge },
  { name: "token: Bearer and spaces only", send: () => whoamiWith("Bearer     "), expect: expectBearerChallenge },
  { name: "token: two tokens in one header", send: () => whoamiWith(`Bearer ${fx.aliceToken} ${fx.aliceToken}`), expect: expectBearerChallenge },
  { name: "token: comma-joined Authorization headers", send: () => whoamiWith(`Bearer ${fx.aliceToken}, Bearer ${fx.aliceToken}`), expect: expectBearerChallenge },
  // Headers carry bytes: fetch sends Latin-1 only, so the look-alike is "µ" (U+00B5) for "m".
  { name: "token: look-alike prefix", send: () => whoamiWith(`Bearer µcp_${fx.aliceToken.slice(4)}`), expect: expectBearerChallenge },
  { name: "token: Latin-1 bytes in the random part", send: () => whoamiWith(`Bearer mcp_${"é".repeat(49)}`), expect: expectBearerChallenge },
  { name: "token: injection-looking", send: () => whoamiWith(`Bearer mcp_${encodeURIComponent(INJECTION)}`), expect: expectBearerChallenge },
  { name: "token: in the query string, not the header", send: () => fetch(`${fx.server.url}/api/mcp?access_token=${fx.aliceToken}`, { method: "POST", headers: { "content-type": "application/json", accept: "application/json, text/event-stream" }, body: toolCall("whoami"), signal: AbortSignal.timeout(REQUEST_BOUND_MS) }), expect: expectBearerChallenge },
  // RFC 7235 §2.1: the scheme is case-insensitive, and RFC 6750 allows one or more spaces after it.
  { name: "token: lower-case 'bearer' is accepted", send: () => whoamiWith(`bearer ${fx.aliceToken}`), expect: mcpSucceeds },
  { name: "token: several spaces after Bearer are accepted", send: () => whoamiWith(`Bearer    ${fx.aliceToken}`), expect: mcpSucceeds },

  // Origin and methods.
  { name: "mcp: foreign Origin", send: () => asAlice(toolCall("whoami"), { origin: "https://evil.example" }), expect: 403 },
  { name: "mcp: Origin null", send: () => asAlice(toolCall("whoami"), { origin: "null" }), expect: 403 },
  { name: "mcp: same host, other port", send: () => asAlice(toolCall("whoami"), { origin: "http://127.0.0.1:1" }), expect: 403 },
  { name: "mcp: GET", send: () => rawMcp({ method: "GET", headers: { authorization: `Bearer ${fx.aliceToken}`, accept: "text/event-stream" } }), expect: 405 },
  { name: "mcp: DELETE", send: () => rawMcp({ method: "DELETE", headers: { authorization: `Bearer ${fx.aliceToken}` } }), expect: 405 },
  { name: "mcp: PUT", send: () => rawMcp({ method: "PUT", headers: { authorization: `Bearer ${fx.aliceToken}` }, body: toolCall("whoami") }), expect: (reply) => expect(reply.status).toBe(405) },

  // Hostile text in every string argument.
  { name: "mcp: injection in hospitals_search query", send: () => aliceTool("hospitals_search", { query: INJECTION }), expect: findsNoHospital },
  { name: "mcp: injection in hospitals_search city", send: () => aliceTool("hospitals_search", { city: INJECTION }), expect: findsNoHospital },
  { name: "mcp: injection in hospitals_search specialty", send: () => aliceTool("hospitals_search", { specialty: INJECTION }), expect: findsNoHospital },
  { name: "mcp: LIKE wildcards in query match literally", send: () => aliceTool("hospitals_search", { query: "%_%" }), expect: findsNoHospital },
  // Issue 10: bidi overrides and other invisible characters are refused in every typed text.
  { name: "mcp: unicode, emoji and RTL override in query", send: () => aliceTool("hospitals_search", { query: UNICODE }), expect: "tool-refusal" },
  { name: "mcp: NUL byte in query", send: () => aliceTool("hospitals_search", { query: "Paris\u0000" }), expect: searchHandlesOddText },
  { name: "mcp: lone surrogate in city", send: () => aliceTool("hospitals_search", { city: "Par\ud800is" }), expect: searchHandlesOddText },
  { name: "mcp: injection in cursor", send: () => aliceTool("hospitals_search", { cursor: INJECTION }), expect: "tool-refusal" },
  {
    name: "mcp: forged cursor that decodes to JSON",
    send: () => aliceTool("hospitals_search", { cursor: Buffer.from(JSON.stringify([{ $ne: 1 }, INJECTION])).toString("base64url") }),
    expect: "tool-refusal",
  },
  { name: "mcp: injection in hospital_id", send: () => aliceTool("hospitals_get", { hospital_id: INJECTION }), expect: "tool-refusal" },
  { name: "mcp: NUL in hospital_id", send: () => aliceTool("hospitals_get", { hospital_id: "paris\u0000" }), expect: "tool-refusal" },
  { name: "mcp: injection in booking_id", send: () => aliceTool("bookings_cancel", { booking_id: INJECTION }), expect: "tool-refusal" },
  { name: "mcp: injection in bookings_list status", send: () => aliceTool("bookings_list", { status: INJECTION }), expect: "tool-refusal" },
  {
    name: "mcp: injection in bookings_create specialty",
    send: () => aliceTool("bookings_create", { hospital_id: fx.hospital.id, specialty: INJECTION, starts_at: futureSlot(20) }),
    expect: "tool-refusal",
  },
  {
    name: "mcp: injection in bookings_create hospital_id",
    send: () => aliceTool("bookings_create", { hospital_id: INJECTION, specialty: fx.hospital.specialty, starts_at: futureSlot(20) }),
    expect: "tool-refusal",
  },
  {
    name: "mcp: injection in starts_at",
    send: () => aliceTool("bookings_create", { hospital_id: fx.hospital.id, specialty: fx.hospital.specialty, starts_at: INJECTION }),
    expect: "tool-refusal",
  },

  // Other people's ids and missing scopes.
  { name: "mcp: cancel another user's booking", send: () => aliceTool("bookings_cancel", { booking_id: fx.bobBookingId }), expect: "tool-refusal" },
  { name: "mcp: cancel an unknown booking", send: () => aliceTool("bookings_cancel", { booking_id: "00000000-0000-4000-8000-000000000000" }), expect: "tool-refusal" },
  {
    name: "mcp: read-only token cancels",
    send: () => mcp(toolCall("bookings_cancel", { booking_id: fx.aliceBookingId }), { token: fx.aliceReadOnlyToken }),
    expect: (reply) => {
      checkExpectation(reply, "tool-refusal", "missing scope");
      expect(toolRefusalMessage(reply)).toContain("write:bookings");
    },
  },

  // Integer edges for limit.
  ...[-1, 0, 101, 1.5, 2 ** 53, 1e308, "10", null, true, [10]].map(
    (limit): HostileCase => ({
      name: `mcp: hospitals_search limit ${JSON.stringify(limit)}`,
      send: () => aliceTool("hospitals_search", { limit }),
      expect: "tool-refusal",
    }),
  ),
  { name: "mcp: hospitals_search with arguments as an array", send: () => asAlice(jsonRpc("tools/call", { name: "hospitals_search", arguments: [1] })), expect: "tool-refusal" },
  { name: "mcp: hospitals_get hospital_id as a number", send: () => aliceTool("hospitals_get", { hospital_id: 42 }), expect: "tool-refusal" },
  { name: "mcp: hospitals_get hospital_id empty", send: () => aliceTool("hospitals_get", { hospital_id: "" }), expect: "tool-refusal" },
  { name: "mcp: hospitals_get hospital_id 10 000 chars", send: () => aliceTool("hospitals_get", { hospital_id: "x".repeat(10_000) }), expect: "tool-refusal" },

  // Date edges for starts_at.
  ...[
    ["in the past", "2001-01-01T10:00:00Z"],
    ["now", "@now"],
    ["far future", "9999-12-31T23:00:00Z"],
    ["just past the horizon", "@horizon"],
    ["invalid calendar date", "2027-02-30T10:00:00Z"],
    ["no timezone", "2027-01-04T10:00:00"],
    ["date only", "2027-01-04"],
    ["hour 24", "2027-01-04T24:00:00Z"],
    ["offset +25:00", "2027-01-04T10:00:00+25:00"],
    ["empty", ""],
    ["epoch number", 1_900_000_000_000],
    ["null", null],
  ].map(
    ([label, value]): HostileCase => ({
      name: `mcp: bookings_create starts_at ${String(label)}`,
      send: () =>
        aliceTool("bookings_create", {
          hospital_id: fx.hospital.id,
          specialty: fx.hospital.specialty,
          starts_at: value === "@now" ? new Date().toISOString() : value === "@horizon" ? futureSlot(367) : value,
        }),
      expect: "tool-refusal",
    }),
  ),
  {
    name: "mcp: bookings_create note over 500 characters",
    send: () => aliceTool("bookings_create", { hospital_id: fx.hospital.id, specialty: fx.hospital.specialty, starts_at: futureSlot(21), note: "n".repeat(501) }),
    expect: "tool-refusal",
  },
  {
    name: "mcp: bookings_create note with a NUL byte",
    send: () => aliceTool("bookings_create", { hospital_id: fx.hospital.id, specialty: fx.hospital.specialty, starts_at: futureSlot(22), note: "door code\u0000" }),
    expect: "tool-refusal",
  },
  {
    name: "mcp: bookings_create in a specialty the hospital lacks",
    send: () => aliceTool("bookings_create", { hospital_id: fx.hospital.id, specialty: "Astrologie", starts_at: futureSlot(21) }),
    expect: "tool-refusal",
  },
  {
    name: "mcp: bookings_create on a slot already booked",
    send: () => aliceTool("bookings_create", { hospital_id: fx.hospital.id, specialty: fx.hospital.specialty, starts_at: futureSlot(10) }),
    expect: "tool-refusal",
  },
];

const trpcCases: HostileCase[] = [
  { name: "trpc: malformed JSON", send: () => trpcPost("tokens.generate", null, { as: fx.alice, raw: '{"json":{"name":' }), expect: "refused" },
  { name: "trpc: empty body", send: () => trpcPost("tokens.generate", null, { as: fx.alice, raw: "" }), expect: "refused" },
  { name: "trpc: body is a JSON number", send: () => trpcPost("tokens.generate", null, { as: fx.alice, raw: "42" }), expect: "refused" },
  { name: "trpc: content-type text/plain", send: () => trpcPost("tokens.generate", { name: "x", scopes: ["read:data"] }, { as: fx.alice, contentType: "text/plain" }), expect: "refused" },
  { name: "trpc: content-type form", send: () => trpcPost("tokens.generate", null, { as: fx.alice, contentType: "application/x-www-form-urlencoded", raw: "name=x" }), expect: "refused" },
  { name: "trpc: 2 MiB body with Content-Length", send: () => trpcPost("tokens.generate", null, { as: fx.alice, raw: bigJson(2 * MIB, true) }), expect: trpcError(413, "PAYLOAD_TOO_LARGE") },
  { name: "trpc: 2 MiB chunked body", send: () => trpcPost("tokens.generate", null, { as: fx.alice, raw: chunkedBody(2 * MIB) }), expect: trpcError(413, "PAYLOAD_TOO_LARGE") },
  { name: "trpc: 2 MiB body to a procedure without input", send: () => trpcPost("auth.signOut", null, { as: fx.bob, raw: bigJson(2 * MIB, true) }), expect: trpcError(413, "PAYLOAD_TOO_LARGE") },
  { name: "trpc: 2 MiB batch body", send: () => trpcPost("tokens.generate,tokens.revoke?batch=1", null, { as: fx.alice, raw: bigJson(2 * MIB, true) }), expect: 413 },
  { name: "trpc: 64 KB header", send: () => trpcGet("tokens.list", undefined, { as: fx.alice, headers: { "x-filler": "f".repeat(64 * 1024) } }), expect: 431 },
  { name: "trpc: unknown procedure", send: () => trpcPost("tokens.deleteAll", {}, { as: fx.alice }), expect: 404 },
  { name: "trpc: path traversal", send: () => trpcGet("..%2F..%2Fetc%2Fpasswd", undefined, { as: fx.alice }), expect: "refused" },
  { name: "trpc: GET on a mutation", send: () => trpcGet("tokens.generate", { name: "via get", scopes: ["read:data"] }, { as: fx.alice }), expect: 405 },
  { name: "trpc: POST on a query", send: () => trpcPost("tokens.list", undefined, { as: fx.alice }), expect: 405 },
  { name: "trpc: malformed input in the query string", send: () => trpcGet("bookings.list", undefined, { as: fx.alice, rawQuery: "?input=%7Bnot-json" }), expect: "refused" },
  { name: "trpc: NUL byte in a hospital search", send: () => trpcGet("hospitals.search", { query: "Paris\u0000" }, { as: fx.alice }), expect: "refused" },
  { name: "trpc: NUL byte in a hospital id", send: () => trpcGet("hospitals.get", { id: "paris\u0000" }, { as: fx.alice }), expect: "refused" },
  { name: "trpc: injection in a hospital search", send: () => trpcGet("hospitals.search", { query: INJECTION, city: INJECTION }, { as: fx.alice }), expect: (reply) => {
    expect(reply.status, reply.text.slice(0, 300)).toBe(200);
    expect(reply.text).toContain('"hospitals":[]');
  } },
  { name: "trpc: batch input that is not an object", send: () => trpcPost("tokens.generate,tokens.revoke?batch=1", null, { as: fx.alice, raw: "[1,2]" }), expect: "refused" },
  { name: "trpc: no session", send: () => trpcGet("tokens.list", undefined), expect: trpcError(401, "UNAUTHORIZED") },
  { name: "trpc: generate with no session", send: () => trpcPost("tokens.generate", { name: "anon", scopes: ["read:data"] }), expect: trpcError(401, "UNAUTHORIZED") },
  {
    name: "trpc: forged session cookie",
    send: () => trpcGet("tokens.list", undefined, { headers: { cookie: `${SESSION_COOKIE_NAME}=${"a".repeat(32)}` } }),
    expect: (reply) => expect(reply.status).toBe(401),
  },
  { name: "trpc: session cookie full of injection", send: () => trpcGet("tokens.list", undefined, { headers: { cookie: `${SESSION_COOKIE_NAME}=${encodeURIComponent(INJECTION)}` } }), expect: "refused" },
  { name: "trpc: foreign Origin with a session", send: () => trpcPost("tokens.generate", { name: "csrf", scopes: ["read:data"] }, { as: fx.alice, origin: "https://evil.example" }), expect: 403 },
  { name: "trpc: no Origin with a session", send: () => trpcPost("tokens.generate", { name: "csrf", scopes: ["read:data"] }, { as: fx.alice, origin: null }), expect: 403 },
  { name: "trpc: foreign Origin signing in (login CSRF)", send: () => trpcPost("auth.signIn", { email: fx.alice.email, password: fx.alice.password }, { origin: "https://evil.example" }), expect: 403 },

  // tokens.generate: wrong types and out-of-range values.
  ...(
    [
      ["name as a number", { name: 123, scopes: ["read:data"], expiresInDays: 30 }],
      ["name empty", { name: "", scopes: ["read:data"], expiresInDays: 30 }],
      ["name blank", { name: "   ", scopes: ["read:data"], expiresInDays: 30 }],
      ["name 65 characters", { name: "n".repeat(65), scopes: ["read:data"], expiresInDays: 30 }],
      ["name 10 000 characters", { name: "n".repeat(10_000), scopes: ["read:data"], expiresInDays: 30 }],
      ["name with NUL", { name: "nul\u0000name", scopes: ["read:data"], expiresInDays: 30 }],
      ["name with RTL override", { name: "abc\u202etxt.exe", scopes: ["read:data"], expiresInDays: 30 }],
      ["name with a newline", { name: "two\nlines", scopes: ["read:data"], expiresInDays: 30 }],
      ["name with a lone surrogate", { name: "half \ud83d", scopes: ["read:data"], expiresInDays: 30 }],
      ["name null", { name: null, scopes: ["read:data"], expiresInDays: 30 }],
      ["scopes as a string", { name: "s", scopes: "read:data", expiresInDays: 30 }],
      ["scopes empty", { name: "s", scopes: [], expiresInDays: 30 }],
      ["unknown scope", { name: "s", scopes: ["admin"], expiresInDays: 30 }],
      ["injection as a scope", { name: "s", scopes: [INJECTION], expiresInDays: 30 }],
      ["expiresInDays as a string", { name: "s", scopes: ["read:data"], expiresInDays: "30" }],
      ["expiresInDays 367, past a year", { name: "s", scopes: ["read:data"], expiresInDays: 367 }],
      ["expiresInDays -1", { name: "s", scopes: ["read:data"], expiresInDays: -1 }],
      ["expiresInDays 0", { name: "s", scopes: ["read:data"], expiresInDays: 0 }],
      ["expiresInDays 30.5", { name: "s", scopes: ["read:data"], expiresInDays: 30.5 }],
      ["expiresInDays 2^53", { name: "s", scopes: ["read:data"], expiresInDays: 2 ** 53 }],
      ["expiresInDays 'never'", { name: "s", scopes: ["read:data"], expiresInDays: "never" }],
      ["input an array", [{ name: "s", scopes: ["read:data"] }]],
      ["a name already taken by an active token", { name: "full", scopes: ["read:data"], expiresInDays: 30 }],
    ] as const
  ).map(([label, input]): HostileCase => ({ name: `trpc: tokens.generate ${label}`, send: () => trpcPost("tokens.generate", input, { as: fx.alice }), expect: "refused" })),

  // tokens.revoke and bookings.cancel on ids that are not yours.
  { name: "trpc: revoke another user's token", send: () => trpcPost("tokens.revoke", { id: fx.bobTokenId }, { as: fx.alice }), expect: trpcError(404, "NOT_FOUND") },
  { name: "trpc: revoke an unknown token", send: () => trpcPost("tokens.revoke", { id: "00000000-0000-4000-8000-000000000000" }, { as: fx.alice }), expect: trpcError(404, "NOT_FOUND") },
  { name: "trpc: revoke with injection as id", send: () => trpcPost("tokens.revoke", { id: INJECTION }, { as: fx.alice }), expect: trpcError(400, "BAD_REQUEST") },
  { name: "trpc: revoke with a numeric id", send: () => trpcPost("tokens.revoke", { id: 1 }, { as: fx.alice }), expect: trpcError(400, "BAD_REQUEST") },
  { name: "trpc: revoke with no id", send: () => trpcPost("tokens.revoke", {}, { as: fx.alice }), expect: trpcError(400, "BAD_REQUEST") },
  { name: "trpc: cancel another user's booking", send: () => trpcPost("bookings.cancel", { id: fx.bobBookingId }, { as: fx.alice }), expect: trpcError(404, "NOT_FOUND") },
  { name: "trpc: cancel with injection as id", send: () => trpcPost("bookings.cancel", { id: INJECTION }, { as: fx.alice }), expect: trpcError(400, "BAD_REQUEST") },
  { name: "trpc: bookings.list with an unknown status", send: () => trpcGet("bookings.list", { status: INJECTION }, { as: fx.alice }), expect: trpcError(400, "BAD_REQUEST") },

  // Accounts.
  ...(
    [
      ["a 10 000-character password", { email: "long-password@example.test", firstname: "A", surname: "B", password: "p".repeat(10_000) }],
      ["a malformed email", { email: "not-an-email", firstname: "A", surname: "B", password: "a-good-password-1" }],
      ["an injection as email", { email: INJECTION, firstname: "A", surname: "B", password: "a-good-password-1" }],
      ["an email with a NUL", { email: "nul\u0000@example.test", firstname: "A", surname: "B", password: "a-good-password-1" }],
      ["an email of 300 characters", { email: `${"e".repeat(290)}@example.test`, firstname: "A", surname: "B", password: "a-good-password-1" }],
      ["a short password", { email: "short@example.test", firstname: "A", surname: "B", password: "x" }],
      ["a first name of 101 characters", { email: "first@example.test", firstname: "f".repeat(101), surname: "B", password: "a-good-password-1" }],
      ["an empty surname", { email: "surname@example.test", firstname: "A", surname: " ", password: "a-good-password-1" }],
      ["a NUL byte in the first name", { email: "nul-name@example.test", firstname: "Ann\u0000", surname: "B", password: "a-good-password-1" }],
      ["a password that is a number", { email: "number@example.test", firstname: "A", surname: "B", password: 12345678901 }],
      ["the email of an existing account", { email: "@alice", firstname: "A", surname: "B", password: "a-good-password-1" }],
      ["no fields", {}],
    ] as const
  ).map(
    ([label, input]): HostileCase => ({
      name: `trpc: auth.signUp with ${label}`,
      send: () => trpcPost("auth.signUp", "email" in input && input.email === "@alice" ? { ...input, email: fx.alice.email.toUpperCase() } : input),
      expect: "refused",
    }),
  ),
  { name: "trpc: auth.signIn with a wrong password", send: () => trpcPost("auth.signIn", { email: fx.alice.email, password: "wrong-password-123" }), expect: trpcError(401, "UNAUTHORIZED") },
  { name: "trpc: auth.signIn with an unknown email", send: () => trpcPost("auth.signIn", { email: "nobody@example.test", password: "wrong-password-123" }), expect: trpcError(401, "UNAUTHORIZED") },
  { name: "trpc: auth.signIn with a 10 000-character password", send: () => trpcPost("auth.signIn", { email: fx.alice.email, password: "p".repeat(10_000) }), expect: trpcError(400, "BAD_REQUEST") },
  { name: "trpc: auth.signIn with injection", send: () => trpcPost("auth.signIn", { email: `${fx.alice.email}' --`, password: INJECTION }), expect: "refused" },
  { name: "trpc: auth.signIn with an object as password", send: () => trpcPost("auth.signIn", { email: fx.alice.email, password: { $ne: "" } }), expect: trpcError(400, "BAD_REQUEST") },
];

const pageCases: HostileCase[] = [
  { name: "page: POST /login from a foreign Origin", send: () => page("/login", { method: "POST", headers: { origin: "https://evil.example", "content-type": "text/plain" }, body: "[]" }), expect: 403 },
  { name: "page: POST /signup from a foreign Origin", send: () => page("/signup", { method: "POST", headers: { origin: "https://evil.example", "next-action": "x" }, body: "[]" }), expect: 403 },
  {
    name: "page: POST /signup with a made-up server action",
    send: () => page("/signup", { method: "POST", headers: { origin: fx.server.url, "next-action": "0".repeat(40), "content-type": "text/plain" }, body: "[]" }),
    expect: (reply) => {
      expect(reply.status, reply.text.slice(0, 200)).toBeGreaterThanOrEqual(400);
      expect(reply.status, reply.text.slice(0, 200)).toBeLessThan(500);
    },
  },
  { name: "page: /login?next=//evil.example is not an open redirect", send: () => page("/login?next=//evil.example/x"), expect: pageIgnoresNext("evil\\.example") },
  { name: "page: /login?next=https://evil.example", send: () => page("/login?next=https%3A%2F%2Fevil.example"), expect: pageIgnoresNext("evil\\.example") },
  { name: "page: /forgot-password?next=//evil.example is not an open redirect", send: () => page("/forgot-password?next=//evil.example/x"), expect: (reply) => {
    // Without mail this server renders no form, so only the Sign in link carries next: it must not lead off-site.
    expect(reply.status).toBe(200);
    expect(reply.text).toMatch(/href="\/login"/);
    expect(reply.text).not.toMatch(/href="[^"]*evil\.example/);
  } },
  { name: "page: /signup?next with control characters", send: () => page("/signup?next=%2F%09%2Fevil.example"), expect: pageIgnoresNext("evil\\.example") },
  { name: "page: /login?next with script", send: () => page(`/login?next=${encodeURIComponent("/dashboard\"><script>alert(1)</script>")}`), expect: (reply) => {
    expect(reply.status).toBe(200);
    expect(reply.text).not.toContain("<script>alert(1)");
  } },
  { name: "page: /login with unicode query", send: () => page(`/login?next=${encodeURIComponent(`/${UNICODE}`)}`), expect: (reply) => expect(reply.status).toBe(200) },
  { name: "page: /login with a repeated next", send: () => page("/login?next=/a&next=//evil.example"), expect: pageIgnoresNext("evil\\.example") },
  {
    name: "page: /dashboard/tokens without a session redirects to sign-in",
    send: () => page("/dashboard/tokens"),
    expect: (reply) => {
      expect([302, 303, 307, 308]).toContain(reply.status);
      expect(reply.headers.get("location") ?? "").toMatch(/\/login\?next=%2Fdashboard%2Ftokens$/);
    },
  },
  {
    name: "page: /dashboard/tokens with a forged session cookie redirects to sign-in",
    send: () => page("/dashboard/tokens", { headers: { cookie: `${SESSION_COOKIE_NAME}=${"b".repeat(32)}` } }),
    expect: (reply) => {
      expect([302, 303, 307, 308]).toContain(reply.status);
      expect(reply.headers.get("location") ?? "").toContain("/login");
    },
  },
  { name: "page: /login with a 64 KB header", send: () => page("/login", { headers: { "x-filler": "f".repeat(64 * 1024) } }), expect: 431 },
  { name: "page: /signup with a 12 KB cookie", send: () => page("/signup", { headers: { cookie: `junk=${"j".repeat(12 * 1024)}` } }), expect: (reply) => expect(reply.status).toBe(200) },
];

describe.runIf(testDatabaseUrl)("hostile input against /api/mcp, /api/trpc and the auth pages", () => {
  let before: TableSnapshot;

  const server = startTestServer({ env: SERVER_ENV });
  beforeAll(async () => {
    fx.server = server;
    fx.alice = await signUpOverHttp(fx.server.url);
    fx.bob = await signUpOverHttp(fx.server.url);

    fx.aliceToken = (await createToken(fx.alice, "full")).token;
    fx.aliceReadOnlyToken = (await createToken(fx.alice, "read only", ["read:data"])).token;
    const expired = await createToken(fx.alice, "expired", ["read:data"], 7);
    await withPostgres(server.databaseUrl, (sql) => sql`update api_tokens set expires_at = now() - interval '1 minute' where id = ${expired.id}`);
    fx.expiredToken = expired.token;
    const revoked = await createToken(fx.alice, "revoked");
    await fx.alice.client.tokens.revoke.mutate({ id: revoked.id });
    fx.revokedToken = revoked.token;
    const bobToken = await createToken(fx.bob, "bob's");
    fx.bobTokenId = bobToken.id;

    fx.hospital = await findBookableHospital(fx.server.url, fx.aliceToken);
    const booking = { hospital_id: fx.hospital.id, specialty: fx.hospital.specialty, starts_at: futureSlot(10) };
    fx.aliceBookingId = (await toolResult<{ booking: { id: string } }>(fx.server.url, fx.aliceToken, "bookings_create", booking)).booking.id;
    fx.bobBookingId = (await toolResult<{ booking: { id: string } }>(fx.server.url, bobToken.token, "bookings_create", booking)).booking.id;

    before = await snapshotTables(server.databaseUrl);
  });

  it.each([...mcpCases, ...trpcCases, ...pageCases].map((testCase) => [testCase.name, testCase] as const))("%s", async (_name, testCase) => {
    const started = performance.now();
    const response = await testCase.send();
    const reply: Reply = { status: response.status, headers: response.headers, text: await response.text() };
    const elapsed = performance.now() - started;

    expect(reply.text, `${testCase.name}: shows internals to the client`).not.toMatch(STACK_TRACE);
    expect(reply.status, `${testCase.name}: a server error: ${reply.text.slice(0, 300)}`).toBeLessThan(500);
    expect(elapsed, `${testCase.name}: took ${Math.round(elapsed)} ms`).toBeLessThan(REQUEST_BOUND_MS);
    checkExpectation(reply, testCase.expect, testCase.name);
  });

  it("leaves every table as it was", async () => {
    expect(await snapshotTables(server.databaseUrl)).toEqual(before);
  });

  it("logged no server error for any of it", () => {
    // Bad input is an answer, not an incident: none of the app's "… failed:" lines, no unhandled error (⨯).
    // (Next itself logs the made-up server action id above; that line is Next's, not the app's.)
    const lines = fx.server.log().split("\n");
    expect(lines.filter((line) => /failed:|⨯|unhandled/i.test(line))).toEqual([]);
  });

  it("stores hostile but valid text verbatim, and it stays inert", async () => {
    const name = `Robert'); DROP TABLE api_tokens;-- 🏥 مستشفى`;
    const created = await fx.alice.client.tokens.generate.mutate({ name, scopes: ["read:data"], expiresInDays: 7 });
    expect(created.name).toBe(name);
    const listed = await fx.alice.client.tokens.list.query();
    expect(listed.map((token) => token.name)).toContain(name);

    const person = await signUpOverHttp(fx.server.url, { firstname: `O'Brien"; DROP TABLE users;--`, surname: "Ðoàn 🧪 \u05e9\u05dc\u05d5\u05dd" });
    expect(person.user.firstname).toBe(`O'Brien"; DROP TABLE users;--`);
    const me = await person.client.auth.me.query();
    expect(me?.surname).toBe("Ðoàn 🧪 \u05e9\u05dc\u05d5\u05dd");

    const after = await snapshotTables(server.databaseUrl);
    expect(after.users.rows).toBe(before.users.rows + 1);
    expect(after.api_tokens.rows).toBe(before.api_tokens.rows + 1);
    expect(after.hospitals).toEqual(before.hospitals);
  });
});
