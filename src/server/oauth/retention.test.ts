import { randomUUID } from "node:crypto";
import { eq, inArray, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { apiTokens, bookings, hospitals, mcpActivity, oauthCodes, oauthGrants, users } from "~/server/db/schema";
import { engines } from "~/test/db";
import { useTestDatabase } from "~/test/fixtures";
import { purgeOldOAuthRows } from "./retention";

// The OAuth retention purge on both databases: what ended long ago goes, what the activity trail, a booking,
// reuse detection or the connected apps list still need stays.

const DAYS = 90;

describe.each(engines)("purging old OAuth rows on %s", (engine) => {
  const { db } = useTestDatabase(engine);

  async function person() {
    const [user] = await db.insert(users).values({ email: `${randomUUID()}@example.test`, firstname: "Ada", surname: "Lovelace", passwordHash: "x" }).returning({ id: users.id });
    if (!user) throw new Error("no user");
    const [grant] = await db
      .insert(oauthGrants)
      .values({ userId: user.id, clientId: "dcr_retention", clientName: "Old app", redirectUri: "http://127.0.0.1/cb", scopes: ["read:data"], resource: "http://localhost/api/mcp" })
      .returning({ id: oauthGrants.id });
    if (!grant) throw new Error("no grant");
    return { userId: user.id, grantId: grant.id };
  }

  /** A token row that expired `expiredDaysAgo` days ago (negative: still to expire). */
  async function token(owner: { userId: string; grantId: string }, kind: "oauth_access" | "oauth_refresh" | "personal", expiredDaysAgo: number, revoked = false) {
    const [row] = await db
      .insert(apiTokens)
      .values({
        userId: owner.userId,
        name: "Old app",
        tokenHash: randomUUID(),
        tokenPrefix: "mcpo_test0000",
        scopes: ["read:data"],
        kind,
        grantId: kind === "personal" ? null : owner.grantId,
        expiresAt: sql`now() - make_interval(days => ${expiredDaysAgo})`,
        revokedAt: revoked ? sql`now() - make_interval(days => ${expiredDaysAgo + 1})` : null,
      })
      .returning({ id: apiTokens.id });
    if (!row) throw new Error("no token");
    return row.id;
  }

  async function code(owner: { grantId: string }, expiredDaysAgo: number, used: boolean) {
    const codeHash = randomUUID();
    await db.insert(oauthCodes).values({
      codeHash,
      grantId: owner.grantId,
      clientId: "dcr_retention",
      redirectUri: "http://127.0.0.1/cb",
      codeChallenge: "x",
      scopes: ["read:data"],
      resource: "http://localhost/api/mcp",
      expiresAt: sql`now() - make_interval(days => ${expiredDaysAgo})`,
      usedAt: used ? sql`now() - make_interval(days => ${expiredDaysAgo})` : null,
    });
    return codeHash;
  }

  async function remainingTokens(ids: string[]) {
    return (await db.select({ id: apiTokens.id }).from(apiTokens).where(inArray(apiTokens.id, ids))).map((row) => row.id).sort();
  }

  it("purges tokens and codes that ended more than the retention ago, keeping what the trail, bookings and reuse detection need", async () => {
    const owner = await person();
    const oldAccess = await token(owner, "oauth_access", DAYS + 1);
    const oldRevokedAccess = await token(owner, "oauth_access", DAYS + 5, true);
    const oldRefresh = await token(owner, "oauth_refresh", DAYS + 1, true);
    const namedByTrail = await token(owner, "oauth_access", DAYS + 1);
    const namedByBooking = await token(owner, "oauth_access", DAYS + 1);
    // Revoked long ago but not yet expired: a rotated refresh token presented again is still caught as reuse.
    const rotatedNotExpired = await token(owner, "oauth_refresh", -5, true);
    const recent = await token(owner, "oauth_access", DAYS - 1);
    const live = await token(owner, "oauth_access", -1);
    const personal = await token(owner, "personal", DAYS + 30);
    await db.insert(mcpActivity).values({ at: sql`now() - interval '1 day'`, userId: owner.userId, tokenId: namedByTrail, tool: "whoami", outcome: "ok", durationMs: 1 });
    const [hospital] = await db.select({ id: hospitals.id }).from(hospitals).limit(1);
    await db.insert(bookings).values({ userId: owner.userId, hospitalId: hospital?.id ?? "", specialty: "cardiology", startsAt: sql`now() - interval '200 days'`, createdByTokenId: namedByBooking });
    const oldSpent = await code(owner, DAYS + 1, true);
    const oldUnused = await code(owner, DAYS + 1, false);
    const recentSpent = await code(owner, 1, true);

    expect(await purgeOldOAuthRows(db, DAYS)).toEqual({ tokens: 3, codes: 2 });
    const all = [oldAccess, oldRevokedAccess, oldRefresh, namedByTrail, namedByBooking, rotatedNotExpired, recent, live, personal];
    expect(await remainingTokens(all)).toEqual([namedByTrail, namedByBooking, rotatedNotExpired, recent, live, personal].sort());
    const codes = (await db.select({ codeHash: oauthCodes.codeHash }).from(oauthCodes).where(inArray(oauthCodes.codeHash, [oldSpent, oldUnused, recentSpent]))).map((row) => row.codeHash);
    expect(codes).toEqual([recentSpent]);
    // The connection itself stays: the connected apps list and its audit trail keep it.
    expect(await db.select({ id: oauthGrants.id }).from(oauthGrants).where(eq(oauthGrants.id, owner.grantId))).toHaveLength(1);
    expect(await purgeOldOAuthRows(db, DAYS)).toEqual({ tokens: 0, codes: 0 });
  });

  it("works in bounded batches, and two instances purging at once neither wait on nor fail each other", async () => {
    const owner = await person();
    const ids = await Promise.all(Array.from({ length: 7 }, () => token(owner, "oauth_access", DAYS + 2)));
    expect((await purgeOldOAuthRows(db, DAYS, { batchSize: 2, maxBatches: 2 })).tokens).toBe(4);
    expect(await remainingTokens(ids)).toHaveLength(3);
    await Promise.all(Array.from({ length: 6 }, () => token(owner, "oauth_access", DAYS + 2)));
    const [a, b] = await Promise.all([purgeOldOAuthRows(db, DAYS, { batchSize: 2 }), purgeOldOAuthRows(db, DAYS, { batchSize: 2 })]);
    expect((a?.tokens ?? 0) + (b?.tokens ?? 0)).toBe(9);
    expect(await remainingTokens(ids)).toEqual([]);
  });
});
