import { createTRPCClient, httpLink, TRPCClientError } from "@trpc/client";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { eq, sql } from "drizzle-orm";
import superjson from "superjson";
import { afterEach, describe, expect, it } from "vitest";
import { appRouter, createCaller, type AppRouter } from "~/server/api/root";
import { createInnerTRPCContext } from "~/server/api/trpc";
import type { SessionUser } from "~/server/auth/session";
import type { Database } from "~/server/db/client";
import { apiTokens, users } from "~/server/db/schema";
import { MAX_ACTIVE_TOKENS } from "~/server/tokens/schemas";
import { settleLastUsedWrites, verifyBearerToken } from "~/server/tokens/service";
import { hashToken } from "~/server/tokens/token";
import { engines } from "~/test/db";
import { useTestDatabase } from "~/test/fixtures";
import { expectTRPCError } from "~/test/trpc-errors";

let userCount = 0;

async function createUser(db: Database): Promise<SessionUser> {
  userCount += 1;
  const [user] = await db
    .insert(users)
    .values({ email: `router${userCount}@example.com`, firstname: "Grace", surname: `Caller${userCount}`, passwordHash: "not-a-real-hash" })
    .returning({ id: users.id, email: users.email, firstname: users.firstname, surname: users.surname });
  if (!user) throw new Error("no user inserted");
  return user;
}

function sessionFor(user: SessionUser) {
  return { id: `session-of-${user.id}`, userId: user.id, expiresAt: new Date(Date.now() + 60_000), lastVerifiedAt: new Date() };
}

async function caughtError(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error("expected the call to fail");
    },
    (error: unknown) => error,
  );
}

describe.each(engines)("tokens router on %s", (engine) => {
  const { db } = useTestDatabase(engine);
  afterEach(() => settleLastUsedWrites());

  function callerFor(user: SessionUser | null) {
    return createCaller(createInnerTRPCContext({ db, user, session: user ? sessionFor(user) : null }));
  }

  /** The router over HTTP in-process, so errors arrive formatted as the browser sees them. */
  function httpClientFor(user: SessionUser, responses: string[] = []) {
    return createTRPCClient<AppRouter>({
      links: [
        httpLink({
          url: "http://carestral.test/api/trpc",
          transformer: superjson,
          fetch: async (input, init) => {
            const response = await fetchRequestHandler({
              endpoint: "/api/trpc",
              req: new Request(input as RequestInfo, init as RequestInit),
              router: appRouter,
              createContext: () => createInnerTRPCContext({ db, user, session: sessionFor(user) }),
            });
            responses.push(await response.clone().text());
            return response;
          },
        }),
      ],
    });
  }

  it("generate → verify → revoke → verify fails", async () => {
    const user = await createUser(db);
    const caller = callerFor(user);
    const created = await caller.tokens.generate({ name: "Claude Code", scopes: ["read:data", "write:bookings"], expiresInDays: 30 });
    expect(Object.keys(created).sort()).toEqual(["createdAt", "expiresAt", "id", "name", "prefix", "scopes", "token"]);

    const verified = await verifyBearerToken(db, `Bearer ${created.token}`);
    expect(verified.ok && verified.caller).toMatchObject({ user: { id: user.id }, token: { id: created.id, name: "Claude Code" } });

    const revoked = await caller.tokens.revoke({ id: created.id });
    expect(revoked).toMatchObject({ id: created.id, status: "revoked" });
    expect(revoked.revokedAt).toBeInstanceOf(Date);
    const after = await verifyBearerToken(db, `Bearer ${created.token}`);
    expect(!after.ok && after.reason).toBe("revoked");

    const [listed] = await caller.tokens.list();
    expect(listed).toMatchObject({ id: created.id, status: "revoked", revokedAt: revoked.revokedAt });
  });

  it("refuses every procedure without a session", async () => {
    const anonymous = callerFor(null);
    await expectTRPCError(anonymous.tokens.list(), "UNAUTHORIZED");
    await expectTRPCError(anonymous.tokens.generate({ name: "x", scopes: ["read:data"], expiresInDays: 7 }), "UNAUTHORIZED");
    await expectTRPCError(anonymous.tokens.revoke({ id: crypto.randomUUID() }), "UNAUTHORIZED");
  });

  it("lists newest first with a status and without the hash or the plaintext, over HTTP too", async () => {
    const user = await createUser(db);
    const responses: string[] = [];
    const client = httpClientFor(user, responses);
    const older = await client.tokens.generate.mutate({ name: "older", scopes: ["read:data"], expiresInDays: 7 });
    const newer = await client.tokens.generate.mutate({ name: "newer", scopes: ["read:data"], expiresInDays: null });
    await db.update(apiTokens).set({ expiresAt: sql`now() - interval '1 second'` }).where(eq(apiTokens.id, older.id));

    const listed = await client.tokens.list.query();
    expect(listed.map((token) => [token.name, token.status])).toEqual([
      ["newer", "active"],
      ["older", "expired"],
    ]);
    expect(Object.keys(listed[0] ?? {}).sort()).toEqual(
      ["createdAt", "expiresAt", "id", "lastUsedAt", "name", "prefix", "revokedAt", "scopes", "status"].sort(),
    );
    expect(listed[0]?.expiresAt).toBeNull();
    expect(listed[0]?.createdAt).toBeInstanceOf(Date);

    const [, , listResponse = ""] = responses;
    for (const secret of [older.token, newer.token, hashToken(older.token), hashToken(newer.token), "tokenHash", "token_hash"]) {
      expect(listResponse).not.toContain(secret);
    }
    expect(responses.join("")).not.toContain("token_hash");
    expect(responses.join("")).not.toContain(hashToken(newer.token));
  });

  it("defaults to 30 days when no expiration is given", async () => {
    const user = await createUser(db);
    const created = await callerFor(user).tokens.generate({ name: "default", scopes: ["read:data"] });
    expect((created.expiresAt?.getTime() ?? 0) - created.createdAt.getTime()).toBe(30 * 24 * 60 * 60 * 1000);
  });

  it.each([
    ["an empty name", { name: "   ", scopes: ["read:data"], expiresInDays: 7 }, "name"],
    ["a 65-character name", { name: "n".repeat(65), scopes: ["read:data"], expiresInDays: 7 }, "name"],
    ["a control character", { name: "tab\there", scopes: ["read:data"], expiresInDays: 7 }, "name"],
    ["a bidi override", { name: "evil\u202Eexe", scopes: ["read:data"], expiresInDays: 7 }, "name"],
    ["no scope", { name: "ok", scopes: [], expiresInDays: 7 }, "scopes"],
    ["an unknown scope", { name: "ok", scopes: ["admin"], expiresInDays: 7 }, "scopes"],
    ["an expiry beyond a year", { name: "ok", scopes: ["read:data"], expiresInDays: 367 }, "expiresInDays"],
    ["a 0-day expiry", { name: "ok", scopes: ["read:data"], expiresInDays: 0 }, "expiresInDays"],
    ["a fractional expiry", { name: "ok", scopes: ["read:data"], expiresInDays: 1.5 }, "expiresInDays"],
    ["a string expiry", { name: "ok", scopes: ["read:data"], expiresInDays: "never" }, "expiresInDays"],
  ])("rejects %s with a field error", async (_label, input, field) => {
    const user = await createUser(db);
    const client = httpClientFor(user);
    const error = await caughtError(client.tokens.generate.mutate(input as never));
    expect(error).toBeInstanceOf(TRPCClientError);
    const { data } = error as TRPCClientError<AppRouter>;
    expect(data?.code).toBe("BAD_REQUEST");
    expect(data?.httpStatus).toBe(400);
    const messages = (data?.zodError?.fieldErrors as Record<string, string[] | undefined> | undefined)?.[field];
    expect(messages?.[0]).toEqual(expect.any(String));
    expect(data?.stack).toBeUndefined();
    expect(await callerFor(user).tokens.list()).toEqual([]);
  });

  it("refuses a name taken by an active token with CONFLICT and a field error on name", async () => {
    const user = await createUser(db);
    const client = httpClientFor(user);
    const first = await client.tokens.generate.mutate({ name: "Work laptop", scopes: ["read:data"], expiresInDays: 7 });
    const error = (await caughtError(
      client.tokens.generate.mutate({ name: "work laptop", scopes: ["read:data"], expiresInDays: 7 }),
    )) as TRPCClientError<AppRouter>;
    expect(error.data?.code).toBe("CONFLICT");
    expect(error.data?.httpStatus).toBe(409);
    expect(error.data?.zodError?.fieldErrors).toEqual({ name: [expect.stringMatching(/already have an active token with this name/)] });

    await client.tokens.revoke.mutate({ id: first.id });
    await client.tokens.generate.mutate({ name: "Work laptop", scopes: ["read:data"], expiresInDays: 7 });
  });

  it(`stops at ${MAX_ACTIVE_TOKENS} active tokens with a clear message`, async () => {
    const user = await createUser(db);
    const caller = callerFor(user);
    const created = [];
    for (let i = 0; i < MAX_ACTIVE_TOKENS; i++) {
      created.push(await caller.tokens.generate({ name: `t${i}`, scopes: ["read:data"], expiresInDays: 7 }));
    }
    const error = await expectTRPCError(caller.tokens.generate({ name: "extra", scopes: ["read:data"], expiresInDays: 7 }), "FORBIDDEN");
    expect(error.message).toBe(`You already have ${MAX_ACTIVE_TOKENS} active tokens, the most allowed. Revoke one you no longer use, then try again.`);

    await caller.tokens.revoke({ id: created[0]?.id ?? "" });
    await caller.tokens.generate({ name: "extra", scopes: ["read:data"], expiresInDays: 7 });
  });

  it("answers NOT_FOUND for another user's token and leaves it working", async () => {
    const alice = await createUser(db);
    const mallory = await createUser(db);
    const token = await callerFor(alice).tokens.generate({ name: "alice's", scopes: ["read:data"], expiresInDays: 7 });

    const error = await expectTRPCError(callerFor(mallory).tokens.revoke({ id: token.id }), "NOT_FOUND");
    expect(error.message).toMatch(/No such token/);
    expect(await callerFor(mallory).tokens.list()).toEqual([]);
    expect((await verifyBearerToken(db, `Bearer ${token.token}`)).ok).toBe(true);
  });

  it("answers NOT_FOUND for an unknown id and BAD_REQUEST for a malformed one", async () => {
    const user = await createUser(db);
    await expectTRPCError(callerFor(user).tokens.revoke({ id: crypto.randomUUID() }), "NOT_FOUND");
    const error = (await caughtError(httpClientFor(user).tokens.revoke.mutate({ id: "1 or 1=1" }))) as TRPCClientError<AppRouter>;
    expect(error.data?.code).toBe("BAD_REQUEST");
    expect(error.data?.zodError?.fieldErrors).toEqual({ id: ["Not a valid token id."] });
  });

  it("revokes twice harmlessly, keeping the first time", async () => {
    const user = await createUser(db);
    const caller = callerFor(user);
    const { id } = await caller.tokens.generate({ name: "twice", scopes: ["read:data"], expiresInDays: 7 });
    const first = await caller.tokens.revoke({ id });
    const second = await caller.tokens.revoke({ id });
    expect(second.revokedAt).toEqual(first.revokedAt);
  });
});
