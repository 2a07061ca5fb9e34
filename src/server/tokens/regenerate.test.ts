import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createCaller } from "~/server/api/root";
import { createInnerTRPCContext } from "~/server/api/trpc";
import type { SessionUser } from "~/server/auth/session";
import type { Database } from "~/server/db/client";
import { apiTokens, mcpActivity, users } from "~/server/db/schema";
import { engines } from "~/test/db";
import { useTestDatabase } from "~/test/fixtures";
import { expectTRPCError } from "~/test/trpc-errors";
import { MAX_ACTIVE_TOKENS } from "./schemas";
import { getToken, listTokens, verifyBearerToken } from "./service";

// Issue 20 item 5: one token identity across regenerations, and the old secret's overlap ("roll key").

let userCount = 0;

async function createUser(db: Database): Promise<SessionUser> {
  userCount += 1;
  const [user] = await db
    .insert(users)
    .values({ email: `regen${userCount}-${Date.now()}@example.com`, firstname: "Rosa", surname: `Roll${userCount}`, passwordHash: "not-a-real-hash" })
    .returning({ id: users.id, email: users.email, firstname: users.firstname, surname: users.surname });
  if (!user) throw new Error("no user inserted");
  return user;
}

describe.each(engines)("regenerating a token on %s", (engine) => {
  const { db } = useTestDatabase(engine);

  function callerFor(user: SessionUser) {
    return createCaller(
      createInnerTRPCContext({ db, user, session: { id: `session-of-${user.id}`, userId: user.id, expiresAt: new Date(Date.now() + 60_000), lastVerifiedAt: new Date() } }),
    );
  }

  const works = async (token: string) => (await verifyBearerToken(db, `Bearer ${token}`)).ok;

  it("keeps one token: one row in the list, one page, and the history of every secret on it, each call still attributable", async () => {
    const owner = await createUser(db);
    const caller = callerFor(owner);
    const first = await caller.tokens.generate({ name: "Claude", scopes: ["read:data"], expiresInDays: 30 });
    await db.insert(mcpActivity).values({ at: new Date(), userId: owner.id, tokenId: first.id, tool: "whoami", outcome: "ok", durationMs: 1 });
    const second = await caller.tokens.regenerate({ id: first.id });
    await db.insert(mcpActivity).values({ at: new Date(), userId: owner.id, tokenId: second.id, tool: "list_hospitals", outcome: "ok", durationMs: 1 });

    const listed = await listTokens(db, owner.id);
    expect(listed.map((token) => token.id)).toEqual([second.id]);
    expect(listed[0]).toMatchObject({ name: "Claude", status: "active" });
    const details = await getToken(db, owner.id, first.id);
    expect(details).toMatchObject({ id: second.id, secretIds: [second.id, first.id], previousSecret: null });

    const page = await caller.activity.list({ tokenId: second.id });
    expect(page.entries.map((entry) => [entry.tool, entry.tokenId])).toEqual([
      ["list_hospitals", second.id],
      ["whoami", first.id],
    ]);
    expect((await caller.activity.daily({ tokenId: first.id })).reduce((sum, day) => sum + day.calls, 0)).toBe(2);
  });

  it("lets the old secret keep working for the overlap chosen, shown on the token, and never past its own expiry", async () => {
    const owner = await createUser(db);
    const caller = callerFor(owner);
    const old = await caller.tokens.generate({ name: "Cursor", scopes: ["read:data"], expiresInDays: 30 });
    const fresh = await caller.tokens.regenerate({ id: old.id, overlap: "1d" });
    expect(await works(old.token)).toBe(true);
    expect(await works(fresh.token)).toBe(true);
    const details = await getToken(db, owner.id, fresh.id);
    expect(details?.previousSecret?.prefix).toBe(old.prefix);
    const hoursLeft = ((details?.previousSecret?.worksUntil.getTime() ?? 0) - fresh.createdAt.getTime()) / 3_600_000;
    expect(hoursLeft).toBeCloseTo(24, 5);
    // Overlapping secrets do not take a place under the cap.
    expect((await listTokens(db, owner.id)).filter((token) => token.status === "active")).toHaveLength(1);

    // Once the overlap ends, the old secret is refused and no longer shown.
    await db.update(apiTokens).set({ expiresAt: sql`now() - interval '1 second'` }).where(eq(apiTokens.id, old.id));
    expect(await works(old.token)).toBe(false);
    expect((await getToken(db, owner.id, fresh.id))?.previousSecret).toBeNull();

    // A 7-day overlap on a token that expires in 1 hour ends with the hour.
    await db.update(apiTokens).set({ expiresAt: sql`now() + interval '1 hour'` }).where(eq(apiTokens.id, fresh.id));
    const third = await caller.tokens.regenerate({ id: fresh.id, overlap: "7d" });
    const until = (await getToken(db, owner.id, third.id))?.previousSecret?.worksUntil.getTime() ?? 0;
    expect(until - third.createdAt.getTime()).toBeLessThanOrEqual(3_600_000);
  });

  it("stops the old secret at once by default, and cuts an earlier overlap when regenerating again", async () => {
    const owner = await createUser(db);
    const caller = callerFor(owner);
    const first = await caller.tokens.generate({ name: "Desk", scopes: ["read:data"], expiresInDays: 7 });
    const second = await caller.tokens.regenerate({ id: first.id, overlap: "7d" });
    const third = await caller.tokens.regenerate({ id: second.id });
    expect(await works(first.token)).toBe(false);
    expect(await works(second.token)).toBe(false);
    expect(await works(third.token)).toBe(true);
    expect((await getToken(db, owner.id, first.id))?.previousSecret).toBeNull();
  });

  it("revokes every secret of the token, the overlapping old one too; a revoked token cannot be regenerated", async () => {
    const owner = await createUser(db);
    const caller = callerFor(owner);
    const old = await caller.tokens.generate({ name: "VS Code", scopes: ["read:data"], expiresInDays: 7 });
    const fresh = await caller.tokens.regenerate({ id: old.id, overlap: "1h" });
    const revoked = await caller.tokens.revoke({ id: old.id });
    expect(revoked).toMatchObject({ id: fresh.id, status: "revoked" });
    expect(await works(old.token)).toBe(false);
    expect(await works(fresh.token)).toBe(false);
    await expectTRPCError(caller.tokens.regenerate({ id: fresh.id }), "BAD_REQUEST");
  });

  it("regenerates an expired token with its settings, like GitHub", async () => {
    const owner = await createUser(db);
    const caller = callerFor(owner);
    const old = await caller.tokens.generate({ name: "Expired", scopes: ["read:data", "write:bookings"], expiresInDays: 90 });
    await db.update(apiTokens).set({ createdAt: sql`now() - interval '91 days'`, expiresAt: sql`now() - interval '1 day'` }).where(eq(apiTokens.id, old.id));
    expect((await getToken(db, owner.id, old.id))?.status).toBe("expired");
    const fresh = await caller.tokens.regenerate({ id: old.id, overlap: "7d" });
    expect(fresh).toMatchObject({ name: "Expired", scopes: ["read:data", "write:bookings"] });
    expect(fresh.expiresAt && fresh.expiresAt.getTime() - fresh.createdAt.getTime()).toBe(90 * 24 * 60 * 60 * 1000);
    // An expired secret stays expired whatever overlap is asked for.
    expect(await works(old.token)).toBe(false);
    expect(await getToken(db, owner.id, old.id)).toMatchObject({ id: fresh.id, status: "active", previousSecret: null });
  });

  it("refuses an unknown overlap with a readable message, changing nothing", async () => {
    const owner = await createUser(db);
    const caller = callerFor(owner);
    const token = await caller.tokens.generate({ name: "Bad", scopes: ["read:data"], expiresInDays: 7 });
    // @ts-expect-error: the router refuses what the types forbid.
    await expectTRPCError(caller.tokens.regenerate({ id: token.id, overlap: "forever" }), "BAD_REQUEST");
    expect(await works(token.token)).toBe(true);
    expect(await listTokens(db, owner.id)).toHaveLength(1);
    expect(MAX_ACTIVE_TOKENS).toBeGreaterThan(1);
  });
});
