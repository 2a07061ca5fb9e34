import { eq, sql } from "drizzle-orm";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Database } from "~/server/db/client";
import { apiTokens, users } from "~/server/db/schema";
import { DomainError, type DomainErrorKind } from "~/server/domain-error";
import { engines } from "~/test/db";
import { useTestDatabase } from "~/test/fixtures";
import { issueOAuthTokens } from "~/test/oauth-in-process";
import { MAX_ACTIVE_TOKENS } from "./schemas";
import {
  generateToken,
  listTokens,
  revokeToken,
  settleLastUsedWrites,
  verifyBearerToken,
  type BearerVerification,
} from "./service";
import { generateTokenString, hashToken } from "./token";
import { log } from "~/server/observability/logger";

let userCount = 0;

async function createUser(db: Database) {
  userCount += 1;
  const [user] = await db
    .insert(users)
    .values({ email: `user${userCount}@example.com`, firstname: "Ada", surname: `Tester${userCount}`, passwordHash: "not-a-real-hash" })
    .returning({ id: users.id, email: users.email, firstname: users.firstname, surname: users.surname });
  if (!user) throw new Error("no user inserted");
  return user;
}

/** A database handle that fails the test if anything touches it. */
const untouchableDb = new Proxy({} as Database, {
  get(_target, property) {
    throw new Error(`The database was touched (${String(property)})`);
  },
});

async function expectDomainError(promise: Promise<unknown>, kind: DomainErrorKind) {
  const error = await promise.then(
    () => null,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(DomainError);
  expect((error as DomainError).kind).toBe(kind);
  return error as DomainError;
}

function expectRefusal(result: BearerVerification, reason: string) {
  expect(result.ok).toBe(false);
  if (!result.ok) expect(result.reason).toBe(reason);
}

describe.each(engines)("token service on %s", (engine) => {
  const { db } = useTestDatabase(engine);
  afterEach(() => settleLastUsedWrites());

  async function readRow(id: string) {
    const [row] = await db.select().from(apiTokens).where(eq(apiTokens.id, id));
    if (!row) throw new Error("token row missing");
    return row;
  }

  it("tells the holder of a revoked or unknown OAuth access token to reconnect the app, not to create a token", async () => {
    const user = await createUser(db);
    const { accessToken } = await issueOAuthTokens(db, user.id, ["read:data"]);
    await db.update(apiTokens).set({ revokedAt: sql`now()` }).where(eq(apiTokens.tokenHash, hashToken(accessToken)));
    const revoked = await verifyBearerToken(db, `Bearer ${accessToken}`);
    expectRefusal(revoked, "revoked");
    expect(!revoked.ok && revoked.description).toMatch(/Reconnect the app/);
    expect(!revoked.ok && revoked.description).not.toMatch(/dashboard/);
    const unknown = await verifyBearerToken(db, `Bearer ${generateTokenString("oauth_access")}`);
    expect(!unknown.ok && unknown.description).toMatch(/Reconnect the app/);
    // A personal token is still told where to create a new one.
    const personal = await verifyBearerToken(db, `Bearer ${generateTokenString()}`);
    expect(!personal.ok && personal.description).toMatch(/Carestral dashboard/);
  });

  it("generates a token that verifies, then fails as revoked once revoked", async () => {
    const user = await createUser(db);
    const created = await generateToken(db, user.id, { name: "Claude Desktop", scopes: ["read:data"], expiresInDays: 30 });

    expect(created.token).toMatch(/^mcp_[0-9A-Za-z]{49}$/);
    expect(created.prefix).toBe(created.token.slice(0, 12));
    expect(created).toMatchObject({ name: "Claude Desktop", scopes: ["read:data"] });

    const verified = await verifyBearerToken(db, `Bearer ${created.token}`);
    // A typed caller, never the token itself: nothing downstream needs the secret.
    expect(verified).toEqual({
      ok: true,
      caller: {
        user: { id: user.id, email: user.email, firstname: user.firstname, surname: user.surname },
        token: {
          id: created.id,
          name: "Claude Desktop",
          scopes: ["read:data"],
          expiresAt: created.expiresAt,
          kind: "personal",
          grantId: null,
          createdAt: created.createdAt,
          resource: null,
        },
      },
    });

    const revoked = await revokeToken(db, user.id, created.id);
    expect(revoked).toMatchObject({ id: created.id, status: "revoked" });
    expect(revoked?.revokedAt).toBeInstanceOf(Date);
    expectRefusal(await verifyBearerToken(db, `Bearer ${created.token}`), "revoked");
  });

  it("stores only the SHA-256 and the display prefix, never the plaintext", async () => {
    const user = await createUser(db);
    const created = await generateToken(db, user.id, { name: "stored", scopes: ["read:data"], expiresInDays: 7 });
    const row = await readRow(created.id);
    expect(row.tokenHash).toBe(hashToken(created.token));
    expect(row.tokenPrefix).toBe(created.prefix);
    expect(Object.values(row)).not.toContain(created.token);
  });

  it("sets the expiry from the database clock, or none for never", async () => {
    const user = await createUser(db);
    const before = Date.now();
    const month = await generateToken(db, user.id, { name: "month", scopes: ["read:data"], expiresInDays: 30 });
    const year = await generateToken(db, user.id, { name: "year", scopes: ["read:data"], expiresInDays: 365 });
    const never = await generateToken(db, user.id, { name: "never", scopes: ["write:bookings"], expiresInDays: null });
    const day = 24 * 60 * 60 * 1000;
    expect(month.expiresAt?.getTime()).toBeGreaterThanOrEqual(before + 30 * day - 5000);
    expect(month.expiresAt?.getTime()).toBeLessThanOrEqual(Date.now() + 30 * day + 5000);
    expect((year.expiresAt?.getTime() ?? 0) - year.createdAt.getTime()).toBe(365 * day);
    expect(never.expiresAt).toBeNull();

    const verified = await verifyBearerToken(db, `Bearer ${never.token}`);
    expect(verified.ok && verified.caller.token.expiresAt).toBeNull();
  });

  it("refuses an expired token and lists it as expired", async () => {
    const user = await createUser(db);
    const created = await generateToken(db, user.id, { name: "short-lived", scopes: ["read:data"], expiresInDays: 7 });
    await db.update(apiTokens).set({ expiresAt: sql`now() - interval '1 second'` }).where(eq(apiTokens.id, created.id));

    expectRefusal(await verifyBearerToken(db, `Bearer ${created.token}`), "expired");
    const [listed] = await listTokens(db, user.id);
    expect(listed).toMatchObject({ id: created.id, status: "expired", revokedAt: null });
  });

  it("reads the Bearer scheme case-insensitively and anything else as missing", async () => {
    const user = await createUser(db);
    const { token } = await generateToken(db, user.id, { name: "schemes", scopes: ["read:data"], expiresInDays: 7 });
    for (const header of [`bearer ${token}`, `BEARER   ${token}  `, `Bearer\t${token}`]) {
      expect((await verifyBearerToken(db, header)).ok).toBe(true);
    }
    for (const header of [null, "", "Bearer", "Bearer   ", `Basic ${token}`, `Token ${token}`, token, `Bearer-${token}`]) {
      expectRefusal(await verifyBearerToken(untouchableDb, header), "missing");
    }
  });

  it("rejects malformed and tampered tokens without touching the database", async () => {
    const user = await createUser(db);
    const { token } = await generateToken(db, user.id, { name: "tamper", scopes: ["read:data"], expiresInDays: 7 });
    const tampered = token.slice(0, 20) + (token[20] === "a" ? "b" : "a") + token.slice(21);
    for (const candidate of [tampered, token.slice(0, -1), `${token}x`, "mcp_short", `${token} extra`, "not a token at all"]) {
      expectRefusal(await verifyBearerToken(untouchableDb, `Bearer ${candidate}`), "malformed");
    }
  });

  it("refuses a well-formed token that was never issued", async () => {
    expectRefusal(await verifyBearerToken(db, `Bearer ${generateTokenString()}`), "unknown");
  });

  it("gives descriptions that are safe inside a WWW-Authenticate header", async () => {
    const user = await createUser(db);
    const { token, id } = await generateToken(db, user.id, { name: "header", scopes: ["read:data"], expiresInDays: 7 });
    await revokeToken(db, user.id, id);
    const results = await Promise.all(
      [null, "Bearer mcp_nope", `Bearer ${generateTokenString()}`, `Bearer ${token}`].map((header) => verifyBearerToken(db, header)),
    );
    expect(results.map((result) => !result.ok && result.reason)).toEqual(["missing", "malformed", "unknown", "revoked"]);
    for (const result of results) {
      if (result.ok) throw new Error("expected a refusal");
      expect(result.description).not.toMatch(/["\\]/);
      expect(result.description).not.toContain(token);
      expect(result.description.length).toBeGreaterThan(10);
    }
  });

  it("lists the user's own tokens newest first, without secrets", async () => {
    const alice = await createUser(db);
    const bob = await createUser(db);
    const first = await generateToken(db, alice.id, { name: "first", scopes: ["read:data"], expiresInDays: 7 });
    const second = await generateToken(db, alice.id, { name: "second", scopes: ["read:data", "write:bookings"], expiresInDays: null });
    await generateToken(db, bob.id, { name: "bob's", scopes: ["read:data"], expiresInDays: 7 });

    const listed = await listTokens(db, alice.id);
    expect(listed.map((token) => token.name)).toEqual(["second", "first"]);
    expect(listed[0]).toEqual({
      id: second.id,
      name: "second",
      prefix: second.prefix,
      scopes: ["read:data", "write:bookings"],
      createdAt: second.createdAt,
      expiresAt: null,
      revokedAt: null,
      lastUsedAt: null,
      status: "active",
    });
    const serialised = JSON.stringify(listed);
    for (const secret of [first.token, second.token, hashToken(first.token), hashToken(second.token)]) {
      expect(serialised).not.toContain(secret);
    }
    expect(await listTokens(db, "not-a-uuid")).toEqual([]);
  });

  it("never returns the stored hash from generate or revoke", async () => {
    const user = await createUser(db);
    const created = await generateToken(db, user.id, { name: "no-hash", scopes: ["read:data"], expiresInDays: 7 });
    const revoked = await revokeToken(db, user.id, created.id);
    const hash = hashToken(created.token);
    expect(JSON.stringify(created)).not.toContain(hash);
    expect(JSON.stringify(revoked)).not.toContain(hash);
    expect(JSON.stringify(revoked)).not.toContain(created.token);
  });

  it("revokes only the owner's token; twice is harmless and keeps the first time", async () => {
    const alice = await createUser(db);
    const bob = await createUser(db);
    const created = await generateToken(db, alice.id, { name: "mine", scopes: ["read:data"], expiresInDays: 7 });

    expect(await revokeToken(db, bob.id, created.id)).toBeNull();
    expect((await verifyBearerToken(db, `Bearer ${created.token}`)).ok).toBe(true);
    expect(await revokeToken(db, alice.id, crypto.randomUUID())).toBeNull();
    expect(await revokeToken(db, alice.id, "not-a-uuid")).toBeNull();

    const once = await revokeToken(db, alice.id, created.id);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const twice = await revokeToken(db, alice.id, created.id);
    expect(once?.revokedAt).toBeInstanceOf(Date);
    expect(twice?.revokedAt).toEqual(once?.revokedAt);
    expect(twice?.status).toBe("revoked");
  });

  it(`caps active tokens at ${MAX_ACTIVE_TOKENS}; revoked and expired tokens do not count`, async () => {
    const user = await createUser(db);
    const created = [];
    for (let i = 0; i < MAX_ACTIVE_TOKENS; i++) {
      created.push(await generateToken(db, user.id, { name: `token ${i}`, scopes: ["read:data"], expiresInDays: 7 }));
    }
    const refused = await expectDomainError(
      generateToken(db, user.id, { name: "one too many", scopes: ["read:data"], expiresInDays: 7 }),
      "forbidden",
    );
    expect(refused.message).toMatch(/50 active tokens/);

    await revokeToken(db, user.id, created[0]?.id ?? "");
    await generateToken(db, user.id, { name: "after a revoke", scopes: ["read:data"], expiresInDays: 7 });
    await expectDomainError(generateToken(db, user.id, { name: "full again", scopes: ["read:data"], expiresInDays: 7 }), "forbidden");

    await db.update(apiTokens).set({ expiresAt: sql`now() - interval '1 minute'` }).where(eq(apiTokens.id, created[1]?.id ?? ""));
    await generateToken(db, user.id, { name: "after an expiry", scopes: ["read:data"], expiresInDays: 7 });
  });

  it("refuses a name already used by one of the user's active tokens, case-insensitively", async () => {
    const alice = await createUser(db);
    const bob = await createUser(db);
    const first = await generateToken(db, alice.id, { name: "Laptop", scopes: ["read:data"], expiresInDays: 7 });

    const taken = await expectDomainError(
      generateToken(db, alice.id, { name: "  laptop ", scopes: ["read:data"], expiresInDays: 30 }),
      "conflict",
    );
    expect(taken.field).toBe("name");
    await generateToken(db, bob.id, { name: "Laptop", scopes: ["read:data"], expiresInDays: 7 });

    await revokeToken(db, alice.id, first.id);
    const again = await generateToken(db, alice.id, { name: " Laptop ", scopes: ["read:data"], expiresInDays: 7 });
    expect(again.name).toBe("Laptop");
  });

  it("keeps the cap and name uniqueness exactly under parallel generation", async () => {
    const user = await createUser(db);
    // 60 calls at once over 55 distinct names: exactly 50 may succeed, all with different names.
    const results = await Promise.allSettled(
      Array.from({ length: 60 }, (_, i) =>
        generateToken(db, user.id, { name: `parallel ${i % 55}`, scopes: ["read:data"], expiresInDays: 7 }),
      ),
    );
    const created = results.flatMap((result) => (result.status === "fulfilled" ? [result.value] : []));
    const failures = results.flatMap((result) => (result.status === "rejected" ? [result.reason as unknown] : []));
    expect(created).toHaveLength(MAX_ACTIVE_TOKENS);
    expect(new Set(created.map((token) => token.name)).size).toBe(MAX_ACTIVE_TOKENS);
    for (const failure of failures) {
      expect(failure).toBeInstanceOf(DomainError);
      expect(["forbidden", "conflict"]).toContain((failure as DomainError).kind);
    }
    expect(await listTokens(db, user.id)).toHaveLength(MAX_ACTIVE_TOKENS);

    const other = await createUser(db);
    const sameName = await Promise.allSettled(
      Array.from({ length: 10 }, () => generateToken(db, other.id, { name: "same", scopes: ["read:data"], expiresInDays: 7 })),
    );
    expect(sameName.filter((result) => result.status === "fulfilled")).toHaveLength(1);
  });

  it("validates its input even when called without the router", async () => {
    const user = await createUser(db);
    const cases: { input: { name: string; scopes: never[] | ["read:data"]; expiresInDays: number | null }; field: string }[] = [
      { input: { name: "", scopes: ["read:data"], expiresInDays: 7 }, field: "name" },
      { input: { name: "x".repeat(65), scopes: ["read:data"], expiresInDays: 7 }, field: "name" },
      { input: { name: "line\nbreak", scopes: ["read:data"], expiresInDays: 7 }, field: "name" },
      { input: { name: "ok", scopes: [], expiresInDays: 7 }, field: "scopes" },
      { input: { name: "ok", scopes: ["read:data"], expiresInDays: 367 }, field: "expiresInDays" },
    ];
    for (const { input, field } of cases) {
      const error = await expectDomainError(generateToken(db, user.id, input), "invalid");
      expect(error.field).toBe(field);
    }
    await expectDomainError(
      generateToken(db, crypto.randomUUID(), { name: "ghost", scopes: ["read:data"], expiresInDays: 7 }),
      "unauthorized",
    );
    expect(await listTokens(db, user.id)).toEqual([]);
  });

  it("deduplicates scopes and accepts 64-character names", async () => {
    const user = await createUser(db);
    const created = await generateToken(db, user.id, {
      name: "é".repeat(64),
      scopes: ["write:bookings", "write:bookings", "read:data"],
      expiresInDays: 90,
    });
    expect(created.scopes).toEqual(["write:bookings", "read:data"]);
    expect(created.name).toBe("é".repeat(64));
  });

  it("writes last_used_at at most once a minute per token", async () => {
    const user = await createUser(db);
    const created = await generateToken(db, user.id, { name: "throttled", scopes: ["read:data"], expiresInDays: 7 });
    expect((await readRow(created.id)).lastUsedAt).toBeNull();

    expect((await verifyBearerToken(db, `Bearer ${created.token}`)).ok).toBe(true);
    await settleLastUsedWrites();
    const firstUse = (await readRow(created.id)).lastUsedAt;
    expect(firstUse).toBeInstanceOf(Date);

    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await verifyBearerToken(db, `Bearer ${created.token}`)).ok).toBe(true);
    await settleLastUsedWrites();
    expect((await readRow(created.id)).lastUsedAt).toEqual(firstUse);

    // A minute later (simulated by moving the last use back), the next verification writes again.
    await db.update(apiTokens).set({ lastUsedAt: sql`now() - interval '61 seconds'` }).where(eq(apiTokens.id, created.id));
    const movedBack = (await readRow(created.id)).lastUsedAt;
    expect((await verifyBearerToken(db, `Bearer ${created.token}`)).ok).toBe(true);
    await settleLastUsedWrites();
    const secondUse = (await readRow(created.id)).lastUsedAt;
    expect(secondUse?.getTime()).toBeGreaterThan(movedBack?.getTime() ?? Infinity);

    const [listed] = await listTokens(db, user.id);
    expect(listed?.lastUsedAt).toEqual(secondUse);
  });

  it("answers even when the last-use write fails, and logs no secret", async () => {
    const user = await createUser(db);
    const created = await generateToken(db, user.id, { name: "write fails", scopes: ["read:data"], expiresInDays: 7 });
    const failingWrites = new Proxy(db, {
      get(target, property, receiver) {
        if (property === "update") {
          return () => ({ set: () => ({ where: () => Promise.reject(new Error("disk full")) }) });
        }
        return Reflect.get(target, property, receiver) as unknown;
      },
    });
    const logged = vi.spyOn(log, "error").mockImplementation(() => {});
    try {
      expect((await verifyBearerToken(failingWrites, `Bearer ${created.token}`)).ok).toBe(true);
      await settleLastUsedWrites();
      expect(logged).toHaveBeenCalledTimes(1);
      const output = JSON.stringify(logged.mock.calls);
      expect(output).toContain("disk full");
      expect(output).not.toContain(created.token);
      expect(output).not.toContain(hashToken(created.token));
    } finally {
      logged.mockRestore();
    }
  });

  it("lets database errors propagate from verification", async () => {
    const broken = new Proxy(db, {
      get(target, property, receiver) {
        if (property === "select") return () => ({ from: () => { throw Object.assign(new Error("connection refused"), { code: "ECONNREFUSED" }); } });
        return Reflect.get(target, property, receiver) as unknown;
      },
    });
    await expect(verifyBearerToken(broken, `Bearer ${generateTokenString()}`)).rejects.toThrow("connection refused");
  });
});
