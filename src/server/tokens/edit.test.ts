import { TRPCError } from "@trpc/server";
import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createCaller } from "~/server/api/root";
import { createInnerTRPCContext } from "~/server/api/trpc";
import type { SessionUser } from "~/server/auth/session";
import type { Database } from "~/server/db/client";
import { apiTokens, users } from "~/server/db/schema";
import { engines } from "~/test/db";
import { useTestDatabase } from "~/test/fixtures";
import { verifyBearerToken } from "./service";

// Issue 20 items 4 and 12: a custom expiry (up to a year) at creation, and a token's expiry edited from its page;
// the secret stays, scope changes go through Regenerate.

const DAY_MS = 24 * 60 * 60 * 1000;
let userCount = 0;

async function createUser(db: Database): Promise<SessionUser> {
  userCount += 1;
  const [user] = await db
    .insert(users)
    .values({ email: `edit${userCount}-${Date.now()}@example.com`, firstname: "Edda", surname: `Edit${userCount}`, passwordHash: "not-a-real-hash" })
    .returning({ id: users.id, email: users.email, firstname: users.firstname, surname: users.surname });
  if (!user) throw new Error("no user inserted");
  return user;
}

async function caught(promise: Promise<unknown>): Promise<TRPCError> {
  const error = await promise.then(
    () => new Error("expected the call to fail"),
    (failure: unknown) => failure,
  );
  expect(error).toBeInstanceOf(TRPCError);
  return error as TRPCError;
}

describe.each(engines)("editing a token's expiry on %s", (engine) => {
  const { db } = useTestDatabase(engine);

  function callerFor(user: SessionUser) {
    return createCaller(
      createInnerTRPCContext({ db, user, session: { id: `session-of-${user.id}`, userId: user.id, expiresAt: new Date(Date.now() + 60_000), lastVerifiedAt: new Date() } }),
    );
  }
  const works = async (token: string) => (await verifyBearerToken(db, `Bearer ${token}`)).ok;

  it("creates a token with a custom number of days, up to 366", async () => {
    const caller = callerFor(await createUser(db));
    const created = await caller.tokens.generate({ name: "Custom", scopes: ["read:data"], expiresInDays: 45 });
    expect((created.expiresAt?.getTime() ?? 0) - created.createdAt.getTime()).toBe(45 * DAY_MS);
    const longest = await caller.tokens.generate({ name: "A year", scopes: ["read:data"], expiresInDays: 366 });
    expect((longest.expiresAt?.getTime() ?? 0) - longest.createdAt.getTime()).toBe(366 * DAY_MS);
  });

  it("moves the expiry from now, keeps the secret working, and can make it never expire", async () => {
    const caller = callerFor(await createUser(db));
    const created = await caller.tokens.generate({ name: "Laptop", scopes: ["read:data"], expiresInDays: 7 });
    const before = Date.now();
    const edited = await caller.tokens.setExpiry({ id: created.id, expiresInDays: 90 });
    expect(Math.abs((edited.expiresAt?.getTime() ?? 0) - (before + 90 * DAY_MS))).toBeLessThan(60_000);
    expect(edited.prefix).toBe(created.prefix);
    expect(await works(created.token)).toBe(true);
    expect((await caller.tokens.list()).find((row) => row.id === created.id)?.expiresAt).toEqual(edited.expiresAt);

    const never = await caller.tokens.setExpiry({ id: created.id, expiresInDays: null });
    expect(never.expiresAt).toBeNull();
    expect(never.expiresInDays).toBeNull();
    expect(await works(created.token)).toBe(true);
  });

  it("can bring the expiry closer, and Regenerate afterwards never exceeds a year", async () => {
    const caller = callerFor(await createUser(db));
    const created = await caller.tokens.generate({ name: "Old", scopes: ["read:data"], expiresInDays: 365 });
    const sooner = await caller.tokens.setExpiry({ id: created.id, expiresInDays: 1 });
    expect((sooner.expiresAt?.getTime() ?? 0) - Date.now()).toBeLessThanOrEqual(DAY_MS);
    // Made 300 days ago, then given a year from now: its span is 665 days, more than any lifetime offered.
    await db.update(apiTokens).set({ createdAt: sql`now() - interval '300 days'` }).where(eq(apiTokens.id, created.id));
    await caller.tokens.setExpiry({ id: created.id, expiresInDays: 365 });
    const regenerated = await caller.tokens.regenerate({ id: created.id });
    expect((regenerated.expiresAt?.getTime() ?? 0) - regenerated.createdAt.getTime()).toBe(366 * DAY_MS);
  });

  it("refuses revoked and expired tokens with a readable CONFLICT, another person's as NOT_FOUND, bad days as BAD_REQUEST", async () => {
    const owner = await createUser(db);
    const caller = callerFor(owner);
    const revoked = await caller.tokens.generate({ name: "Revoked", scopes: ["read:data"], expiresInDays: 7 });
    await caller.tokens.revoke({ id: revoked.id });
    const refusedRevoked = await caught(caller.tokens.setExpiry({ id: revoked.id, expiresInDays: 30 }));
    expect(refusedRevoked.code).toBe("CONFLICT");
    expect(refusedRevoked.message).toBe("This token is revoked and stays so: create a new token instead.");
    expect(await works(revoked.token)).toBe(false);

    const expired = await caller.tokens.generate({ name: "Expired", scopes: ["read:data"], expiresInDays: 7 });
    await db.update(apiTokens).set({ expiresAt: sql`now() - interval '1 second'` }).where(eq(apiTokens.id, expired.id));
    const refusedExpired = await caught(caller.tokens.setExpiry({ id: expired.id, expiresInDays: 30 }));
    expect(refusedExpired.code).toBe("CONFLICT");
    expect(refusedExpired.message).toContain("Regenerate");
    expect(await works(expired.token)).toBe(false);

    const mine = await caller.tokens.generate({ name: "Mine", scopes: ["read:data"], expiresInDays: 7 });
    const stranger = callerFor(await createUser(db));
    expect((await caught(stranger.tokens.setExpiry({ id: mine.id, expiresInDays: 365 }))).code).toBe("NOT_FOUND");
    for (const days of [0, 367, 2.5]) {
      expect((await caught(caller.tokens.setExpiry({ id: mine.id, expiresInDays: days }))).code).toBe("BAD_REQUEST");
    }
    const unchanged = await caller.tokens.get({ id: mine.id });
    expect(unchanged.expiresInDays).toBe(7);
  });
});
