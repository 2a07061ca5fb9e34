import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createBooking } from "~/server/bookings/queries";
import { openDatabase, type Database, type DatabaseHandle } from "~/server/db/client";
import { users } from "~/server/db/schema";
import { mcpResourceUrl } from "~/server/oauth/metadata";
import { TOKEN_SCOPES, type TokenScope } from "~/server/tokens/scopes";
import { generateToken, revokeToken, settleLastUsedWrites, verifyBearerToken } from "~/server/tokens/service";
import { generateTokenString } from "~/server/tokens/token";
import { engines } from "~/test/db";
import { testDatabaseUrl } from "~/test/env";
import { startTestServer, useTestDatabase } from "~/test/fixtures";
import { issueOAuthTokens } from "~/test/oauth-in-process";
import { signUpOverHttp } from "~/test/trpc-http";
import { activityRecorder } from "~/server/activity/recorder";
import { futureSlot, scratchDatabases } from "~/test/mcp-client";

// Verifications of one event-loop turn share one query, and tool definitions are built once per process. Neither
// may hand one caller another's identity, scopes, tool list or data: many callers, interleaved, all in flight at once.

interface Caller {
  token: string;
  userId: string;
  email: string;
  firstname: string;
  tokenName: string;
  scopes: TokenScope[];
  oauth: boolean;
  /** Ids of the person's own bookings: bookings_list must show exactly these. */
  bookingIds: string[];
}

const TOOLS_BY_SCOPE: Record<TokenScope, string[]> = {
  "read:data": ["bookings_list", "hospitals_get", "hospitals_search"],
  "write:bookings": ["bookings_cancel", "bookings_create"],
};

type Send = (token: string, message: unknown) => Promise<Response>;

/** Every caller sends whoami, tools/list, a data call and a call outside its scopes, `rounds` times, all at once. */
async function expectNoCrossTalk(send: Send, callers: Caller[], rounds: number): Promise<void> {
  const calls = [];
  let id = 0;
  for (let round = 0; round < rounds; round++) {
    for (const kind of ["whoami", "list", "data", "outside"] as const) {
      for (const caller of callers) calls.push({ caller, kind, id: ++id });
    }
  }
  const answers = await Promise.all(
    calls.map(async (call) => {
      const response = await send(call.caller.token, messageFor(call.kind, call.caller, call.id));
      return { ...call, response, body: (await response.json()) as { id?: unknown; result?: Record<string, unknown> } };
    }),
  );
  for (const { caller, kind, id, response, body } of answers) {
    const who = `${caller.tokenName} (${kind})`;
    if (kind === "outside" && caller.oauth) {
      expect(response.status, who).toBe(403);
      expect(response.headers.get("www-authenticate"), who).toMatch(/insufficient_scope/);
      continue;
    }
    expect(response.status, who).toBe(200);
    expect(body.id, who).toBe(id);
    const result = body.result ?? {};
    if (kind === "whoami") {
      expect(result.structuredContent, who).toMatchObject({
        user: { id: caller.userId, email: caller.email, firstname: caller.firstname },
        token: { name: caller.tokenName, scopes: caller.scopes },
      });
    } else if (kind === "list") {
      const names = (result.tools as { name: string }[]).map((tool) => tool.name).sort();
      expect(names, who).toEqual(["whoami", ...caller.scopes.flatMap((scope) => TOOLS_BY_SCOPE[scope])].sort());
    } else if (kind === "data" && caller.scopes.includes("read:data")) {
      const listed = (result.structuredContent as { bookings: { id: string }[] }).bookings.map((booking) => booking.id);
      expect(listed.sort(), who).toEqual([...caller.bookingIds].sort());
    } else if (kind === "outside" && caller.scopes.length === TOKEN_SCOPES.length) {
      // Nothing is outside Ada's scopes: her call is an ordinary cancel of a booking she does not have.
      expect(JSON.stringify(result.content), who).toMatch(/no booking with the id/);
    } else {
      // A writer's "data" call (bookings_list) is outside its scopes too.
      expect(result.isError, who).toBe(true);
      expect(JSON.stringify(result.content), who).toMatch(caller.scopes.includes("read:data") ? /write:bookings/ : /read:data/);
    }
  }
}

function messageFor(kind: "whoami" | "list" | "data" | "outside", caller: Caller, id: number): unknown {
  if (kind === "list") return { jsonrpc: "2.0", id, method: "tools/list" };
  const call = (name: string, args: Record<string, unknown> = {}) => ({ jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: args } });
  if (kind === "whoami") return call("whoami");
  if (kind === "data") return call("bookings_list");
  return caller.scopes.includes("read:data") ? call("bookings_cancel", { booking_id: crypto.randomUUID() }) : call("hospitals_search", { city: "paris" });
}

function mcpRequest(url: string, token: string, message: unknown): Request {
  return new Request(url, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json", Accept: "application/json, text/event-stream" },
    body: JSON.stringify(message),
  });
}

async function insertPerson(db: Database, firstname: string): Promise<{ id: string; email: string }> {
  const email = `${firstname.toLowerCase()}-${crypto.randomUUID()}@example.test`;
  const [user] = await db.insert(users).values({ email, firstname, surname: "Isolation", passwordHash: "not-a-real-hash" }).returning({ id: users.id });
  if (!user) throw new Error("no user");
  return { id: user.id, email };
}

/** Ada (both scopes, one booking), Bob (read:data, one booking), Cleo (write:bookings), Dora (OAuth, read:data). */
async function createCallersInProcess(db: Database): Promise<Caller[]> {
  const callers: Caller[] = [];
  const personal: [string, TokenScope[]][] = [
    ["Ada", ["read:data", "write:bookings"]],
    ["Bob", ["read:data"]],
    ["Cleo", ["write:bookings"]],
  ];
  for (const [index, [firstname, scopes]] of personal.entries()) {
    const person = await insertPerson(db, firstname);
    const { token, id: tokenId } = await generateToken(db, person.id, { name: `${firstname}'s token`, scopes, expiresInDays: 30 });
    const bookingIds: string[] = [];
    if (scopes.includes("read:data")) {
      const booking = await createBooking(db, person.id, { hospitalId: "paris-necker", specialty: "Pédiatrie", startsAt: futureSlot(3, index) }, { tokenId });
      bookingIds.push(booking.id);
    }
    callers.push({ token, userId: person.id, email: person.email, firstname, tokenName: `${firstname}'s token`, scopes, oauth: false, bookingIds });
  }
  const dora = await insertPerson(db, "Dora");
  const { accessToken } = await issueOAuthTokens(db, dora.id, ["read:data"]);
  callers.push({ token: accessToken, userId: dora.id, email: dora.email, firstname: "Dora", tokenName: "In-process test client", scopes: ["read:data"], oauth: true, bookingIds: [] });
  return callers;
}

describe.each(engines)("one verification query per event-loop turn, on %s", (engine) => {
  const test = useTestDatabase(engine);
  let callers: Caller[];
  beforeAll(async () => {
    callers = await createCallersInProcess(test.db);
  });
  afterEach(() => settleLastUsedWrites());
  afterAll(async () => {
    // The calls' trail rows are written to this database: write them before it closes.
    await activityRecorder.flush();
  });

  it("hands each verification the row of its own token, whatever else shares its query", async () => {
    const [ada] = callers;
    if (!ada) throw new Error("no callers");
    const revoked = await generateToken(test.db, ada.userId, { name: "Revoked", scopes: ["read:data"], expiresInDays: 30 });
    await revokeToken(test.db, ada.userId, revoked.id);
    const refusals = [
      { token: revoked.token, reason: "revoked" },
      { token: generateTokenString(), reason: "unknown" },
      { token: "mcp_mistyped", reason: "malformed" },
    ];
    // All started in one synchronous loop, so they share one batch.
    const checks = [];
    for (let round = 0; round < 10; round++) {
      for (const caller of callers) {
        checks.push(
          verifyBearerToken(test.db, `Bearer ${caller.token}`, mcpResourceUrl()).then((verification) => {
            expect(verification.ok && verification.caller).toMatchObject({ user: { id: caller.userId, email: caller.email }, token: { name: caller.tokenName } });
            expect(verification.ok && verification.caller.token.scopes).toEqual(caller.scopes);
          }),
        );
      }
      for (const { token, reason } of refusals) {
        checks.push(verifyBearerToken(test.db, `Bearer ${token}`, mcpResourceUrl()).then((verification) => expect(verification).toMatchObject({ ok: false, reason })));
      }
    }
    await Promise.all(checks);
  });

  it("keeps identities, tool lists, scopes and data apart across interleaved concurrent MCP requests", async () => {
    const { handleMcpRequest } = await import("./http");
    const databases = scratchDatabases(test.db);
    const send: Send = (token, message) => handleMcpRequest(mcpRequest(mcpResourceUrl(), token, message), databases);
    await expectNoCrossTalk(send, callers, 5);
  });
});

describe("handleMcpRequest in process, on the app's database", () => {
  it("keeps callers apart through the whole handler", async () => {
    const { getDb } = await import("~/server/db");
    const { handleMcpRequest } = await import("./http");
    const callers = await createCallersInProcess(await getDb());
    await expectNoCrossTalk((token, message) => handleMcpRequest(mcpRequest(mcpResourceUrl(), token, message)), callers, 5);
    await settleLastUsedWrites();
  }, 120_000); // opening and migrating the on-disk PGlite is slow on a busy machine
});

// Against `next start`: on PostgreSQL when TEST_DATABASE_URL is set (with an OAuth caller, issued in this process
// into the server's database), else on PGlite with the personal tokens only.
describe("MCP over HTTP, many callers at once", () => {
  let handle: DatabaseHandle | undefined;
  const callers: Caller[] = [];

  // Many calls of one person at once: lift the per-person MCP limit, which is tested on its own.
  const server = startTestServer({ env: { AUTH_RATE_LIMIT_PER_MINUTE: "1000", MCP_CONCURRENCY_PER_USER: "1000" } });
  beforeAll(async () => {
    const send = (token: string, message: unknown) => fetch(mcpRequest(`${server.url}/api/mcp`, token, message));
    const personal: [string, TokenScope[]][] = [
      ["Ada", ["read:data", "write:bookings"]],
      ["Bob", ["read:data"]],
      ["Cleo", ["write:bookings"]],
    ];
    for (const [firstname, scopes] of personal) {
      const person = await signUpOverHttp(server.url, { firstname });
      const { token } = await person.client.tokens.generate.mutate({ name: `${firstname}'s token`, scopes, expiresInDays: 30 });
      callers.push({ token, userId: person.user.id, email: person.email, firstname, tokenName: `${firstname}'s token`, scopes, oauth: false, bookingIds: [] });
    }
    const [ada] = callers;
    if (!ada) throw new Error("no callers");
    const booked = await send(ada.token, {
      jsonrpc: "2.0",
      id: 1,
      method: "tools/call",
      params: { name: "bookings_create", arguments: { hospital_id: "paris-necker", specialty: "Pédiatrie", starts_at: futureSlot(4) } },
    });
    const { result } = (await booked.json()) as { result: { structuredContent: { booking: { id: string } } } };
    ada.bookingIds.push(result.structuredContent.booking.id);

    if (testDatabaseUrl) {
      handle = await openDatabase({ engine: "postgres", url: server.databaseUrl, maxConnections: 2 });
      const dora = await signUpOverHttp(server.url, { firstname: "Dora" });
      const { accessToken } = await issueOAuthTokens(handle.db, dora.user.id, ["read:data"], server.url);
      callers.push({ token: accessToken, userId: dora.user.id, email: dora.email, firstname: "Dora", tokenName: "In-process test client", scopes: ["read:data"], oauth: true, bookingIds: [] });
    }
  });

  afterAll(async () => {
    await handle?.close();
  });

  it("keeps identities, tool lists, scopes and data apart", async () => {
    await expectNoCrossTalk((token, message) => fetch(mcpRequest(`${server.url}/api/mcp`, token, message)), callers, 5);
  });
});
