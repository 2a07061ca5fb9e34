import postgres from "postgres";
import { expect } from "vitest";
import type { SignedUpClient } from "~/test/trpc-http";

// Shared pieces of the reliability suite: MCP over raw HTTP, readable-refusal checks, and database
// snapshots and dumps taken from outside the server (the suite runs the server on PostgreSQL for that).

/**
 * Server env for suites that sign many people up from 127.0.0.1 and fire hundreds of MCP calls with one
 * token: the auth and MCP limits are tested on their own (hardening.test.ts).
 */
export const SERVER_ENV = { AUTH_RATE_LIMIT_PER_MINUTE: "1000", MCP_RATE_LIMIT_PER_MINUTE: "1000000", MCP_CONCURRENCY_PER_USER: "1000" };

/** No single request to a healthy test server may take longer than this: a slower answer is a hang. */
export const REQUEST_BOUND_MS = 10_000;

export const MCP_HEADERS = { "content-type": "application/json", accept: "application/json, text/event-stream" };

let jsonRpcId = 0;

/** A JSON-RPC request as an MCP client would send it. */
export function jsonRpc(method: string, params?: Record<string, unknown>): string {
  jsonRpcId += 1;
  return JSON.stringify({ jsonrpc: "2.0", id: jsonRpcId, method, ...(params ? { params } : {}) });
}

export function toolCall(name: string, args: Record<string, unknown> = {}): string {
  return jsonRpc("tools/call", { name, arguments: args });
}

/** POSTs a raw body to /api/mcp with the MCP headers, a Bearer token if given, and a time bound. */
export function postMcp(
  baseUrl: string,
  body: BodyInit | null,
  options: { token?: string; authorization?: string; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<Response> {
  const authorization = options.authorization ?? (options.token ? `Bearer ${options.token}` : undefined);
  return fetch(`${baseUrl}/api/mcp`, {
    method: "POST",
    headers: { ...MCP_HEADERS, ...(authorization ? { authorization } : {}), ...options.headers },
    body,
    signal: AbortSignal.timeout(options.timeoutMs ?? REQUEST_BOUND_MS),
  });
}

export interface JsonRpcReply {
  status: number;
  result?: { isError?: boolean; content?: { type: string; text?: string }[]; structuredContent?: Record<string, unknown> };
  error?: { code: number; message: string };
}

/** Reads a JSON-RPC answer whether the server chose plain JSON or a one-event SSE stream. */
export async function readJsonRpc(response: Response): Promise<JsonRpcReply> {
  const text = await response.text();
  const type = response.headers.get("content-type") ?? "";
  let payload: unknown;
  if (type.includes("text/event-stream")) {
    const data = text
      .split("\n")
      .filter((line) => line.startsWith("data:"))
      .map((line) => line.slice(5).trim())
      .find((line) => line.startsWith("{"));
    payload = data ? JSON.parse(data) : undefined;
  } else {
    payload = text ? JSON.parse(text) : undefined;
  }
  const message = (Array.isArray(payload) ? payload[0] : payload) as Omit<JsonRpcReply, "status"> | undefined;
  return { status: response.status, result: message?.result, error: message?.error };
}

/** Calls one MCP tool and returns its JSON-RPC answer; the test asserts on it. */
export async function callTool(baseUrl: string, token: string, name: string, args: Record<string, unknown> = {}): Promise<JsonRpcReply> {
  return readJsonRpc(await postMcp(baseUrl, toolCall(name, args), { token }));
}

/** The structuredContent of a successful tool call, failing the test with the tool's own words otherwise. */
export async function toolResult<T = Record<string, unknown>>(baseUrl: string, token: string, name: string, args: Record<string, unknown> = {}): Promise<T> {
  const reply = await callTool(baseUrl, token, name, args);
  expect(reply.status, `${name} HTTP status`).toBe(200);
  expect(reply.error, `${name} JSON-RPC error`).toBeUndefined();
  expect(reply.result?.isError, `${name}: ${reply.result?.content?.[0]?.text ?? ""}`).not.toBe(true);
  return reply.result?.structuredContent as T;
}

/** The text a person would read in a refusal body: a message/error field of JSON (tRPC, JSON-RPC, plain), or text. */
export function readableMessage(body: string): string | undefined {
  const trimmed = body.trim();
  if (!trimmed) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    return trimmed.startsWith("<") ? htmlText(trimmed) : trimmed;
  }
  return findMessage(parsed);
}

function findMessage(value: unknown, depth = 0): string | undefined {
  if (depth > 4 || value === null || typeof value !== "object") return undefined;
  if (Array.isArray(value)) return findMessage(value[0], depth + 1);
  const record = value as Record<string, unknown>;
  for (const key of ["message", "error", "error_description"]) {
    const field = record[key];
    if (typeof field === "string" && field.trim()) return field;
  }
  // tRPC errors nest as { error: { json: { message } } } with superjson; JSON-RPC as { error: { message } }.
  for (const key of ["error", "json", "result"]) {
    const found = findMessage(record[key], depth + 1);
    if (found) return found;
  }
  const content = record.content;
  if (Array.isArray(content)) {
    const text = (content[0] as { text?: unknown } | undefined)?.text;
    if (typeof text === "string" && text.trim()) return text;
  }
  return undefined;
}

function htmlText(html: string): string | undefined {
  const title = /<title>([^<]*)<\/title>/i.exec(html)?.[1]?.trim();
  const heading = /<h[12][^>]*>([^<]*)<\/h[12]>/i.exec(html)?.[1]?.trim();
  return heading || title || undefined;
}

export { futureSlot } from "~/test/slots";

/** Generates a token over tRPC and returns its plaintext and id. */
export async function createToken(
  person: SignedUpClient,
  name: string,
  scopes: ("read:data" | "write:bookings")[] = ["read:data", "write:bookings"],
  expiresInDays: 7 | 30 | 60 | 90 | 365 | null = 30,
): Promise<{ token: string; id: string }> {
  const created = await person.client.tokens.generate.mutate({ name, scopes, expiresInDays });
  return { token: created.token, id: created.id };
}

/** A hospital and one of its specialties, found through MCP: real reference data, no hard-coded ids. */
export async function findBookableHospital(baseUrl: string, token: string): Promise<{ id: string; specialty: string }> {
  const found = await toolResult<{ hospitals: { id: string; specialties: string[] }[] }>(baseUrl, token, "hospitals_search", { limit: 5 });
  const hospital = found.hospitals.find((candidate) => candidate.specialties.length > 0);
  if (!hospital) throw new Error("hospitals_search returned no hospital with a specialty");
  return { id: hospital.id, specialty: hospital.specialties[0] ?? "" };
}

/** A short-lived connection to the server's PostgreSQL database, for looking at it from outside. */
export async function withPostgres<T>(url: string, work: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    return await work(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

// What a refused request must not change. api_tokens.last_used_at and sessions.last_seen_at are left out:
// a successful call may bump them, and that is bookkeeping, not data. auth_rate_limits counts attempts by design.
const SNAPSHOT_QUERIES = {
  users: `select md5(coalesce(string_agg(t::text, '|' order by t.id), '')) as digest, count(*)::int as rows from users t`,
  api_tokens: `select md5(coalesce(string_agg((t.id, t.user_id, t.name, t.token_hash, t.token_prefix, t.scopes, t.created_at, t.expires_at, t.revoked_at)::text, '|' order by t.id), '')) as digest, count(*)::int as rows from api_tokens t`,
  bookings: `select md5(coalesce(string_agg(t::text, '|' order by t.id), '')) as digest, count(*)::int as rows from bookings t`,
  hospitals: `select md5(coalesce(string_agg(t::text, '|' order by t.id), '')) as digest, count(*)::int as rows from hospitals t`,
  sessions: `select md5(coalesce(string_agg((t.id, t.user_id, t.expires_at, t.created_at, t.user_agent)::text, '|' order by t.id), '')) as digest, count(*)::int as rows from sessions t`,
} as const;

export type TableSnapshot = Record<keyof typeof SNAPSHOT_QUERIES, { digest: string; rows: number }>;

/** A digest and row count per table, to compare before and after a battery of requests. */
export async function snapshotTables(url: string): Promise<TableSnapshot> {
  return withPostgres(url, async (sql) => {
    const snapshot: Partial<TableSnapshot> = {};
    for (const [table, query] of Object.entries(SNAPSHOT_QUERIES) as [keyof TableSnapshot, string][]) {
      const [row] = await sql.unsafe<{ digest: string; rows: number }[]>(query);
      if (!row) throw new Error(`no snapshot row for ${table}`);
      snapshot[table] = { digest: row.digest, rows: row.rows };
    }
    return snapshot as TableSnapshot;
  });
}

/** Every row of every table outside the system schemas, as JSON text: what an attacker with a dump would see. */
export async function dumpAllTables(url: string): Promise<string> {
  return withPostgres(url, async (sql) => {
    const tables = await sql<{ table_schema: string; table_name: string }[]>`
      select table_schema, table_name from information_schema.tables
      where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema')
      order by table_schema, table_name`;
    const parts: string[] = [];
    for (const { table_schema: schema, table_name: table } of tables) {
      const rows = await sql.unsafe<{ row: unknown }[]>(`select row_to_json(t) as row from "${schema}"."${table}" t`);
      parts.push(`# ${schema}.${table} (${rows.length} rows)`, ...rows.map(({ row }) => JSON.stringify(row)));
    }
    return parts.join("\n");
  });
}
