import { randomUUID } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { SOCKET_ADDRESS_HEADER } from "~/server/auth/client-ip";
import { purgeOldActivity } from "~/server/activity/retention";
import { listActivity } from "~/server/activity/queries";
import type { Database } from "~/server/db/client";
import { mcpActivity, users } from "~/server/db/schema";
import type { TokenScope } from "~/server/tokens/scopes";
import { engines } from "~/test/db";
import { useTestDatabase } from "~/test/fixtures";
import { activityRecorder } from "~/server/activity/recorder";
import { authRefusalCounts, countAuthRefusal, recordRateLimitedMcpCall } from "./activity";
import type { McpCaller } from "./caller";
import { generateToken, verifyBearerToken } from "~/server/tokens/service";
import { mcpResourceUrl } from "~/server/oauth/metadata";
import { handleMcpRequest } from "./http";
import { futureSlot, modernMessage, scratchDatabases } from "~/test/mcp-client";
import { log } from "~/server/observability/logger";

// The trail as /api/mcp fills it: the real handler in process (handleMcpRequest on a scratch database, with
// real tokens), the real recorder, a real database.

const SECRET_NOTE = "Private note: insulin 14 units, HbA1c 9.1";

async function insertPerson(db: Database): Promise<{ userId: string; email: string }> {
  const email = `${randomUUID()}@example.test`;
  const [user] = await db.insert(users).values({ email, firstname: "Ada", surname: "Lovelace", passwordHash: "not-a-real-hash" }).returning({ id: users.id });
  if (!user) throw new Error("no user");
  return { userId: user.id, email };
}

/** A real personal token of `person`'s, and the caller its verification gives. */
async function authFor(db: Database, person: { userId: string; email: string }, scopes: TokenScope[]): Promise<TestCaller> {
  // Names are unique among a person's active tokens.
  const name = `Trail test ${randomUUID().slice(0, 8)}`;
  const { token } = await generateToken(db, person.userId, { name, scopes, expiresInDays: 30 });
  const verification = await verifyBearerToken(db, `Bearer ${token}`, mcpResourceUrl());
  if (!verification.ok) throw new Error(`the test token did not verify: ${verification.reason}`);
  return { ...verification.caller, bearer: token };
}

type TestCaller = McpCaller & { bearer: string };

function mcpRequest(auth: TestCaller, body: unknown, headers: Record<string, string> = {}): Request {
  return new Request("http://127.0.0.1:3000/api/mcp", {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      authorization: `Bearer ${auth.bearer}`,
      "user-agent": "claude-code/2.0 (trail test)",
      // The client address as server.mjs passes it on (X-Forwarded-For counts only with TRUSTED_PROXIES).
      [SOCKET_ADDRESS_HEADER]: "203.0.113.9",
      ...headers,
    },
    body: JSON.stringify(body),
  });
}

let nextId = 1;
function toolCall(name: string, args: Record<string, unknown> = {}) {
  return { jsonrpc: "2.0", id: nextId++, method: "tools/call", params: { name, arguments: args } };
}

describe.each(engines)("MCP activity trail on %s", (engine) => {
  const { db } = useTestDatabase(engine);
  const databases = scratchDatabases(db);
  let full: TestCaller;
  let readOnly: TestCaller;

  beforeAll(async () => {
    const person = await insertPerson(db);
    full = await authFor(db, person, ["read:data", "write:bookings"]);
    readOnly = await authFor(db, person, ["read:data"]);
  });
  afterAll(async () => {
    await activityRecorder.flush();
  });

  async function call(auth: TestCaller, body: unknown) {
    const response = await handleMcpRequest(mcpRequest(auth, body), databases);
    const text = await response.text();
    return { status: response.status, text };
  }

  async function rowsOf(auth: TestCaller) {
    await activityRecorder.flush();
    const tokenId = auth.token.id;
    return db.select().from(mcpActivity).where(eq(mcpActivity.tokenId, tokenId)).orderBy(mcpActivity.id);
  }

  it("records a successful tool call once, with who, what, when, how long and from where", async () => {
    const before = new Date();
    await call(full, toolCall("whoami"));
    const [row, ...rest] = await rowsOf(full);
    expect(rest).toEqual([]);
    expect(row).toMatchObject({
      tokenId: full.token.id,
      userId: full.user.id,
      tool: "whoami",
      outcome: "ok",
      clientIp: "203.0.113.9",
      userAgent: "claude-code/2.0 (trail test)",
      summary: null,
    });
    expect(row?.durationMs).toBeGreaterThanOrEqual(0);
    expect(row?.at.getTime()).toBeGreaterThanOrEqual(before.getTime() - 1000);
  });

  it("records each outcome: ok with a summary, tool error, scope refusal, server error, rate limited", async () => {
    const before = (await rowsOf(readOnly)).length;
    await call(readOnly, toolCall("hospitals_search", { city: "paris", specialty: "cardiologie", limit: 2 }));
    await call(readOnly, toolCall("hospitals_get", { hospital_id: "no-such-hospital" }));
    await call(readOnly, toolCall("bookings_create", { hospital_id: "x", specialty: "y", starts_at: futureSlot(3) }));
    // A broken query (not a refusal the caller can fix) is a server error.
    await db.execute(sql`alter table bookings rename to bookings_elsewhere`);
    try {
      await call(readOnly, toolCall("bookings_list"));
    } finally {
      await db.execute(sql`alter table bookings_elsewhere rename to bookings`);
    }
    // Refused before its body is read: a 2026-07-28 client's headers name the call.
    const limited = new Request("http://127.0.0.1:3000/api/mcp", { method: "POST", headers: { "mcp-method": "tools/call", "mcp-name": "hospitals_get" } });
    recordRateLimitedMcpCall(limited, readOnly, db, "Too many calls with this token: at most 600 a minute.");

    const rows = (await rowsOf(readOnly)).slice(before);
    expect(rows.map((row) => [row.tool, row.outcome])).toEqual([
      ["hospitals_search", "ok"],
      ["hospitals_get", "tool_error"],
      ["bookings_create", "scope_refused"],
      ["bookings_list", "server_error"],
      ["hospitals_get", "rate_limited"],
    ]);
    expect(rows[0]?.summary).toMatch(/^city paris, specialty cardiologie: 2 found$/);
    expect(rows[1]?.summary).toBe("no-such-hospital");
    // Why each failed: the first line of what the client was told; nothing for a success.
    expect(rows.map((row) => row.error)).toEqual([
      null,
      expect.stringMatching(/^No hospital has the id 'no-such-hospital'/),
      expect.stringMatching(/"write:bookings" scope/),
      expect.stringMatching(/bookings_list failed because of a server error/),
      "Too many calls with this token: at most 600 a minute.",
    ]);
    expect(rows.every((row) => !row.error?.includes("\n"))).toBe(true);
  });

  it("records methods and unknown tools too, and no notification", async () => {
    const before = (await rowsOf(readOnly)).length;
    const initialize = {
      jsonrpc: "2.0",
      id: "init-1",
      method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "test", version: "1" } },
    };
    await call(readOnly, initialize);
    await call(readOnly, { jsonrpc: "2.0", method: "notifications/initialized" });
    await call(readOnly, { jsonrpc: "2.0", id: nextId++, method: "tools/list" });
    await call(readOnly, toolCall("no_such_tool"));
    await call(readOnly, toolCall("hospitals_get", { hospital_id: "paris-pitie-salpetriere" }));
    const rows = (await rowsOf(readOnly)).slice(before);
    expect(rows.map((row) => [row.tool, row.outcome])).toEqual([
      ["initialize", "ok"],
      ["tools/list", "ok"],
      ["unknown", "tool_error"],
      ["hospitals_get", "ok"],
    ]);
    // A name we do not know is stored as "unknown", the name itself only as a bounded excerpt.
    expect(rows[2]?.summary).toBe("Unknown tool “no_such_tool”");
    expect(rows.at(-1)?.summary).toMatch(/Pitié/);
  });

  it("keeps every legitimate call of a mixed flush: NUL and lone surrogates in names, a deleted person's calls, a row the database refuses", async () => {
    const errors = vi.spyOn(log, "error").mockImplementation(() => {});
    const victim = await authFor(db, await insertPerson(db), ["read:data"]);
    const attacker = await authFor(db, await insertPerson(db), ["read:data"]);
    const leaving = await insertPerson(db);
    const gone = await authFor(db, leaving, ["read:data"]);
    await activityRecorder.flush();
    try {
      for (let round = 0; round < 5; round++) {
        await call(victim, toolCall("whoami"));
        await call(attacker, toolCall("x\u0000"));
        await call(attacker, toolCall("\ud800"));
        await call(attacker, {
          jsonrpc: "2.0",
          id: nextId++,
          method: "initialize",
          params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "evil\ud800\u0000", version: "\udfff" } },
        });
        await call(victim, toolCall("hospitals_get", { hospital_id: "paris-pitie-salpetriere" }));
        await call(gone, toolCall("whoami"));
      }
      // A value PostgreSQL refuses (integer overflow) costs only its own row: the batch is retried in halves.
      activityRecorder.record(db, {
        at: new Date(),
        userId: attacker.user.id,
        tokenId: attacker.token.id,
        tool: "whoami",
        outcome: "ok",
        durationMs: 2 ** 31,
        clientIp: null,
        userAgent: null,
        summary: null,
        error: null,
        clientName: null,
        clientVersion: null,
      });
      // The person is deleted while their calls wait in the buffer.
      await db.delete(users).where(eq(users.id, leaving.userId));
      expect(activityRecorder.pendingCount).toBeGreaterThan(0);

      const victimRows = await rowsOf(victim);
      expect(victimRows.map((row) => row.tool)).toEqual(Array.from({ length: 5 }, () => ["whoami", "hospitals_get"]).flat());
      const attackerRows = await rowsOf(attacker);
      expect(attackerRows).toHaveLength(15);
      for (const row of attackerRows) {
        for (const text of [row.tool, row.summary, row.error, row.clientName, row.clientVersion]) {
          expect(text ?? "").not.toMatch(/[\u0000\p{Cs}]/u);
        }
      }
      expect(attackerRows.slice(0, 3).map((row) => [row.tool, row.summary])).toEqual([
        ["unknown", "Unknown tool “x”"],
        ["unknown", "Unknown tool “\ufffd”"],
        ["initialize", null],
      ]);
      expect(attackerRows[2]?.clientName).toBe("evil\ufffd");
      expect(await rowsOf(gone)).toEqual([]);
      // Only the refused row is reported lost, by count, never its content.
      expect(errors.mock.calls.map((args) => String(args[0]))).toEqual([expect.stringMatching(/could not record 1 calls: 22003/)]);
    } finally {
      errors.mockRestore();
    }
  });

  it("records a 2026-07-28 client's server/discover probe and calls as what they are, not as tool errors", async () => {
    const before = (await rowsOf(readOnly)).length;
    for (const message of [modernMessage("server/discover"), modernMessage("tools/list"), modernMessage("tools/call", { name: "whoami", arguments: {} })]) {
      expect((await handleMcpRequest(mcpRequest(readOnly, message.body, message.headers), databases)).status).toBe(200);
    }
    // Refused by the protocol, before any tool ran: headers that disagree with the body (-32020), a version we do
    // not serve (-32022). Neither is a tool error.
    const refusals: { message: ReturnType<typeof modernMessage>; headers: Record<string, string> }[] = [
      { message: modernMessage("tools/call", { name: "whoami", arguments: {} }), headers: { "Mcp-Name": "hospitals_get" } },
      { message: modernMessage("tools/list", {}, "2099-01-01"), headers: {} },
    ];
    for (const { message, headers } of refusals) {
      expect((await handleMcpRequest(mcpRequest(readOnly, message.body, { ...message.headers, ...headers }), databases)).status).toBe(400);
    }
    const rows = (await rowsOf(readOnly)).slice(before);
    expect(rows.map((row) => [row.tool, row.outcome])).toEqual([
      ["server/discover", "ok"],
      ["tools/list", "ok"],
      ["whoami", "ok"],
      ["whoami", "protocol_refused"],
      ["tools/list", "protocol_refused"],
    ]);
    expect(rows.slice(3).map((row) => row.error)).toEqual([expect.stringMatching(/Mcp-Name header \(hospitals_get\) does not match/), expect.stringMatching(/2099-01-01|[Uu]nsupported/)]);
    // Named by the clientInfo of its envelope, on every request.
    expect(rows.map((row) => [row.clientName, row.clientVersion])).toEqual(Array(5).fill(["carestral-wire-test", "1.0.0"]));
  });

  it("names a 2025-era client by its initialize clientInfo on its later calls too, and hides protocol calls unless asked", async () => {
    const auth = await authFor(db, await insertPerson(db), ["read:data"]);
    const initialize = {
      jsonrpc: "2.0",
      id: "init",
      method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "Visual Studio Code\n", version: "1.107.0" } },
    };
    await call(auth, initialize);
    await call(auth, { jsonrpc: "2.0", id: nextId++, method: "tools/list" });
    await call(auth, toolCall("hospitals_get", { hospital_id: "paris-pitie-salpetriere" }));
    const rows = await rowsOf(auth);
    expect(rows.map((row) => [row.tool, row.clientName, row.clientVersion])).toEqual([
      ["initialize", "Visual Studio Code", "1.107.0"],
      ["tools/list", "Visual Studio Code", "1.107.0"],
      ["hospitals_get", "Visual Studio Code", "1.107.0"],
    ]);

    // The same token pasted into a second client (another User-Agent): each keeps its own name.
    const cursor = (body: unknown) => {
      return handleMcpRequest(mcpRequest(auth, body, { "user-agent": "Cursor/1.7" }), databases).then((response) => response.text());
    };
    await cursor({ ...initialize, params: { ...initialize.params, clientInfo: { name: "Cursor", version: "1.7.0" } } });
    await cursor(toolCall("hospitals_get", { hospital_id: "paris-pitie-salpetriere" }));
    await call(auth, toolCall("hospitals_get", { hospital_id: "paris-pitie-salpetriere" }));
    expect((await rowsOf(auth)).slice(3).map((row) => [row.tool, row.clientName])).toEqual([
      ["initialize", "Cursor"],
      ["hospitals_get", "Cursor"],
      ["hospitals_get", "Visual Studio Code"],
    ]);

    const owner = { userId: auth.user.id };
    const tools = async (options: Parameters<typeof listActivity>[2]) => (await listActivity(db, owner, options)).entries.map((entry) => entry.tool);
    expect(await tools({})).toEqual(["hospitals_get", "hospitals_get", "hospitals_get"]);
    expect(await tools({ protocol: true })).toEqual(["hospitals_get", "hospitals_get", "initialize", "hospitals_get", "tools/list", "initialize"]);
    expect(await tools({ tool: "initialize" })).toEqual(["initialize", "initialize"]);
  });

  it("keeps the hospital and specialty of a booking, never its note", async () => {
    const search = await call(full, toolCall("hospitals_search", { city: "lyon", specialty: "cardiologie", limit: 1 }));
    const hospital = (JSON.parse(search.text) as { result: { structuredContent: { hospitals: { id: string; name: string }[] } } }).result
      .structuredContent.hospitals[0];
    if (!hospital) throw new Error("no hospital in Lyon");
    const created = await call(full, toolCall("bookings_create", { hospital_id: hospital.id, specialty: "cardiologie", starts_at: futureSlot(5), note: SECRET_NOTE }));
    expect(created.text).toContain(SECRET_NOTE);
    // A failing booking with the note too: the failure summary must not carry it either.
    await call(full, toolCall("bookings_create", { hospital_id: hospital.id, specialty: "cardiologie", starts_at: "2001-01-01T10:00:00Z", note: SECRET_NOTE }));

    const rows = await rowsOf(full);
    const booking = rows.filter((row) => row.tool === "bookings_create");
    expect(booking.map((row) => row.outcome)).toEqual(["ok", "tool_error"]);
    expect(booking[0]?.summary).toContain(hospital.name);
    expect(booking[0]?.summary).toContain("Cardiologie");
    const everything = await db.execute(sql`select coalesce(string_agg(row_to_json(a)::text, ' '), '') as dump from mcp_activity a`);
    const dump = JSON.stringify(everything);
    expect(dump).not.toContain("insulin");
    expect(dump).not.toContain("HbA1c");
  });

  it("lists a token's calls newest first, filtered and paginated, and only the owner's", async () => {
    const owner = { userId: readOnly.user.id, tokenIds: [readOnly.token.id] };
    const first = await listActivity(db, owner, { limit: 2 });
    expect(first.entries).toHaveLength(2);
    expect(first.nextCursor).not.toBeNull();
    const second = await listActivity(db, owner, { limit: 2, cursor: first.nextCursor ?? undefined });
    expect(second.entries[0]?.id).toBeLessThan(first.entries[1]?.id ?? 0);
    const all = await listActivity(db, owner, { limit: 100 });
    const times = all.entries.map((entry) => entry.at.getTime());
    expect(times).toEqual([...times].sort((a, b) => b - a));
    const refused = await listActivity(db, owner, { outcome: "scope_refused" });
    expect(refused.entries.map((entry) => entry.tool)).toEqual(["bookings_create"]);
    const byTool = await listActivity(db, owner, { tool: "whoami" });
    expect(byTool.entries.every((entry) => entry.tool === "whoami")).toBe(true);
    const stranger = await insertPerson(db);
    expect((await listActivity(db, { userId: stranger.userId, tokenIds: owner.tokenIds })).entries).toEqual([]);
  });

  it("purges only calls older than the retention, in bounded batches", async () => {
    const person = await insertPerson(db);
    const auth = await authFor(db, person, ["read:data"]);
    const base = { userId: person.userId, tokenId: auth.token.id, tool: "whoami", outcome: "ok" as const, durationMs: 1 };
    const day = 24 * 60 * 60 * 1000;
    await db.insert(mcpActivity).values([
      ...Array.from({ length: 5 }, () => ({ ...base, at: new Date(Date.now() - 91 * day) })),
      { ...base, at: new Date(Date.now() - 89 * day) },
      { ...base, at: new Date() },
    ]);
    const countLeft = async () => (await db.select({ id: mcpActivity.id }).from(mcpActivity).where(eq(mcpActivity.tokenId, base.tokenId))).length;
    // Two batches of two: bounded, so one old row is left for the next run.
    expect(await purgeOldActivity(db, 90, { batchSize: 2, maxBatches: 2 })).toBe(4);
    expect(await countLeft()).toBe(3);
    expect(await purgeOldActivity(db, 90, { batchSize: 2, maxBatches: 2 })).toBe(1);
    expect(await countLeft()).toBe(2);
    expect(await purgeOldActivity(db, 90)).toBe(0);
  });

  it("stops purging once the instance is stopping (the background job's signal), leaving the rest for another run", async () => {
    const person = await insertPerson(db);
    const auth = await authFor(db, person, ["read:data"]);
    const base = { userId: person.userId, tokenId: auth.token.id, tool: "whoami", outcome: "ok" as const, durationMs: 1 };
    await db.insert(mcpActivity).values(Array.from({ length: 3 }, () => ({ ...base, at: new Date(Date.now() - 91 * 24 * 60 * 60 * 1000) })));
    const stopping = new AbortController();
    stopping.abort();
    expect(await purgeOldActivity(db, 90, { signal: stopping.signal })).toBe(0);
    expect(await purgeOldActivity(db, 90)).toBe(3);
  });
});

describe("401 refusals", () => {
  it("are counted per reason in memory, not stored", () => {
    const before = authRefusalCounts().unknown ?? 0;
    countAuthRefusal("unknown");
    countAuthRefusal("unknown");
    expect(authRefusalCounts().unknown).toBe(before + 2);
    vi.clearAllTimers();
  });
});
