import { randomUUID } from "node:crypto";
import { eq, inArray, like, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { purgeExpiredEmailLinks } from "~/server/auth/email-links";
import { purgeForgottenDevices } from "~/server/auth/known-devices";
import { purgeExpiredPendingSignIns } from "~/server/auth/pending-sign-in";
import { purgeStaleRateLimits } from "~/server/auth/rate-limit";
import { purgeExpiredSessions } from "~/server/auth/session";
import {
  apiTokens,
  authRateLimits,
  emailLinks,
  knownDevices,
  mcpCallWindows,
  mcpPersonCallWindows,
  oauthClients,
  oauthCodes,
  oauthGrants,
  pendingSignIns,
  sessions,
  users,
} from "~/server/db/schema";
import { purgeStaleCallWindows } from "~/server/activity/retention";
import { purgeAbandonedGrants } from "~/server/oauth/authorization";
import { purgeUnusedClients } from "~/server/oauth/clients";
import { engines } from "~/test/db";
import { useTestDatabase } from "~/test/fixtures";
import { purgesJob } from "./purges";

// The background purges job on both databases: each purge deletes the rows its rule names and nothing else, and
// two instances purging at once share the work.

describe.each(engines)("background purges on %s", (engine) => {
  const { db } = useTestDatabase(engine);

  const ago = (interval: string) => sql`now() - ${interval}::interval`;

  async function person(): Promise<{ userId: string; tokenId: string }> {
    const [user] = await db.insert(users).values({ email: `${randomUUID()}@example.test`, firstname: "Ada", surname: "Lovelace", passwordHash: "x" }).returning({ id: users.id });
    if (!user) throw new Error("no user");
    const [token] = await db
      .insert(apiTokens)
      .values({ userId: user.id, name: "laptop", tokenHash: randomUUID(), tokenPrefix: "mcp_test0000", scopes: ["read:data"] })
      .returning({ id: apiTokens.id });
    if (!token) throw new Error("no token");
    return { userId: user.id, tokenId: token.id };
  }

  it("deletes rate-limit counters and MCP call windows that started more than a day ago, and keeps the rest", async () => {
    const prefix = `purge-${randomUUID()}:`;
    await db.insert(authRateLimits).values([
      { key: `${prefix}stale`, count: 9, windowStartedAt: ago("25 hours") },
      { key: `${prefix}an-hour-old`, count: 9, windowStartedAt: ago("1 hour") },
      { key: `${prefix}live`, count: 1, windowStartedAt: ago("10 seconds") },
    ]);
    const idle = await person();
    const busy = await person();
    await db.insert(mcpCallWindows).values([
      { tokenId: idle.tokenId, windowStartedAt: ago("2 days"), calls: 40 },
      { tokenId: busy.tokenId, windowStartedAt: ago("30 seconds"), calls: 3 },
    ]);
    await db.insert(mcpPersonCallWindows).values([
      { userId: idle.userId, windowStartedAt: ago("2 days"), calls: 40 },
      { userId: busy.userId, windowStartedAt: ago("30 seconds"), calls: 3 },
    ]);

    expect(await purgeStaleRateLimits(db)).toBe(1);
    expect(await purgeStaleCallWindows(db)).toBe(2);

    const counters = await db.select({ key: authRateLimits.key }).from(authRateLimits).where(like(authRateLimits.key, `${prefix}%`));
    expect(counters.map((row) => row.key).sort()).toEqual([`${prefix}an-hour-old`, `${prefix}live`]);
    expect((await db.select({ tokenId: mcpCallWindows.tokenId }).from(mcpCallWindows)).map((row) => row.tokenId)).toEqual([busy.tokenId]);
    expect((await db.select({ userId: mcpPersonCallWindows.userId }).from(mcpPersonCallWindows)).map((row) => row.userId)).toEqual([busy.userId]);
  });

  it("deletes mailed links that expired, and keeps those still usable", async () => {
    const { userId } = await person();
    await db.insert(emailLinks).values([
      { id: `expired-${randomUUID()}`, userId, purpose: "password_reset", expiresAt: ago("1 minute") },
      { id: `usable-${randomUUID()}`, userId, purpose: "email_verification", expiresAt: sql`now() + interval '47 hours'` },
    ]);
    expect(await purgeExpiredEmailLinks(db)).toBe(1);
    const left = await db.select({ id: emailLinks.id }).from(emailLinks);
    expect(left.map((row) => row.id.split("-")[0])).toEqual(["usable"]);
  });

  it("deletes sessions and pending sign-ins that expired, and keeps live ones", async () => {
    const { userId } = await person();
    const later = sql`now() + interval '1 minute'`;
    await db.insert(sessions).values([
      { id: `expired-${randomUUID()}`, userId, expiresAt: ago("1 second") },
      { id: `expired-${randomUUID()}`, userId, expiresAt: ago("40 days") },
      { id: `live-${randomUUID()}`, userId, expiresAt: later },
    ]);
    await db.insert(pendingSignIns).values([
      { id: `expired-${randomUUID()}`, userId, next: "/dashboard", expiresAt: ago("1 second") },
      { id: `live-${randomUUID()}`, userId, next: "/dashboard", expiresAt: later },
    ]);
    expect(await purgeExpiredSessions(db)).toBe(2);
    expect(await purgeExpiredPendingSignIns(db)).toBe(1);
    const kinds = (rows: { id: string }[]) => rows.map((row) => row.id.split("-")[0]);
    expect(kinds(await db.select({ id: sessions.id }).from(sessions).where(eq(sessions.userId, userId)))).toEqual(["live"]);
    expect(kinds(await db.select({ id: pendingSignIns.id }).from(pendingSignIns).where(eq(pendingSignIns.userId, userId)))).toEqual(["live"]);
  });

  it("forgets browsers unseen for the device cookie's 400 days, of any account, and keeps the rest", async () => {
    const { userId } = await person();
    await db.insert(knownDevices).values([
      { userId, deviceHash: "forgotten", lastSeenAt: ago("401 days") },
      { userId, deviceHash: "old-but-seen", createdAt: ago("500 days"), lastSeenAt: ago("399 days") },
      { userId, deviceHash: "today", lastSeenAt: ago("1 hour") },
    ]);
    expect(await purgeForgottenDevices(db)).toBe(1);
    const left = await db.select({ deviceHash: knownDevices.deviceHash }).from(knownDevices).where(eq(knownDevices.userId, userId));
    expect(left.map((row) => row.deviceHash).sort()).toEqual(["old-but-seen", "today"]);
  });

  it("deletes at most its batches a run, and the next run takes what is left", async () => {
    const { userId } = await person();
    await db.insert(sessions).values(Array.from({ length: 12 }, () => ({ id: `bounded-${randomUUID()}`, userId, expiresAt: ago("1 day") })));
    expect(await purgeExpiredSessions(db, { batchSize: 5, maxBatches: 2 })).toBe(10);
    expect(await db.select({ id: sessions.id }).from(sessions).where(eq(sessions.userId, userId))).toHaveLength(2);
    expect(await purgeExpiredSessions(db, { batchSize: 5, maxBatches: 2 })).toBe(2);
    expect(await db.select({ id: sessions.id }).from(sessions).where(eq(sessions.userId, userId))).toEqual([]);
  });

  it("deletes client registrations never used within a day, and keeps recent and used ones", async () => {
    const client = (id: string, createdAt: ReturnType<typeof ago>, lastUsedAt: ReturnType<typeof ago> | null) => ({
      id,
      name: "Some MCP client",
      redirectUris: ["http://127.0.0.1/callback"],
      tokenEndpointAuthMethod: "none",
      grantTypes: ["authorization_code"],
      metadata: {},
      createdAt,
      lastUsedAt,
    });
    const suffix = randomUUID().slice(0, 8);
    await db.insert(oauthClients).values([
      client(`dcr_never_${suffix}`, ago("25 hours"), null),
      client(`dcr_new_${suffix}`, ago("1 hour"), null),
      client(`dcr_used_${suffix}`, ago("400 days"), ago("300 days")),
    ]);
    expect(await purgeUnusedClients(db)).toBe(1);
    const left = await db.select({ id: oauthClients.id }).from(oauthClients).where(like(oauthClients.id, `%_${suffix}`));
    expect(left.map((row) => row.id).sort()).toEqual([`dcr_new_${suffix}`, `dcr_used_${suffix}`]);
  });

  it("deletes pending connections whose last code expired over an hour ago, with their codes, and keeps the rest", async () => {
    const { userId } = await person();
    const grant = async (clientId: string, values: { createdAt: ReturnType<typeof ago>; connectedAt?: ReturnType<typeof ago>; revokedAt?: ReturnType<typeof ago> }) => {
      const [row] = await db
        .insert(oauthGrants)
        .values({ userId, clientId, clientName: clientId, redirectUri: "http://127.0.0.1/cb", scopes: ["read:data"], resource: "http://localhost/api/mcp", ...values })
        .returning({ id: oauthGrants.id });
      if (!row) throw new Error("no grant");
      return row.id;
    };
    const code = (grantId: string, expiresAt: ReturnType<typeof ago>) =>
      db.insert(oauthCodes).values({
        codeHash: randomUUID(),
        grantId,
        clientId: "c",
        redirectUri: "http://127.0.0.1/cb",
        codeChallenge: "x",
        scopes: ["read:data"],
        resource: "http://localhost/api/mcp",
        expiresAt,
      });
    const abandoned = await grant("dcr_abandoned", { createdAt: ago("3 hours") });
    await code(abandoned, ago("2 hours"));
    const tryingAgain = await grant("dcr_trying_again", { createdAt: ago("3 hours") });
    await code(tryingAgain, ago("2 hours"));
    await code(tryingAgain, sql`now() + interval '9 minutes'`);
    const justExpired = await grant("dcr_just_expired", { createdAt: ago("20 minutes") });
    await code(justExpired, ago("10 minutes"));
    const connected = await grant("dcr_connected", { createdAt: ago("30 days"), connectedAt: ago("30 days") });
    await code(connected, ago("30 days"));
    const revoked = await grant("dcr_revoked", { createdAt: ago("30 days"), connectedAt: ago("30 days"), revokedAt: ago("2 days") });

    expect(await purgeAbandonedGrants(db)).toBe(1);
    const left = await db.select({ id: oauthGrants.id }).from(oauthGrants).where(inArray(oauthGrants.id, [abandoned, tryingAgain, justExpired, connected, revoked]));
    expect(left.map((row) => row.id).sort()).toEqual([tryingAgain, justExpired, connected, revoked].sort());
    expect(await db.select({ grantId: oauthCodes.grantId }).from(oauthCodes).where(inArray(oauthCodes.grantId, [abandoned]))).toEqual([]);
  });

  it("shares the work between instances purging at once: every stale row goes once, nothing else", async () => {
    const prefix = `shared-${randomUUID()}:`;
    await db.insert(authRateLimits).values(Array.from({ length: 60 }, (_, index) => ({ key: `${prefix}${index}`, count: 1, windowStartedAt: ago("2 days") })));
    await db.insert(authRateLimits).values({ key: `${prefix}live`, count: 1, windowStartedAt: ago("1 minute") });
    const [first, second] = await Promise.all([purgeStaleRateLimits(db, { batchSize: 7 }), purgeStaleRateLimits(db, { batchSize: 7 })]);
    expect((first ?? 0) + (second ?? 0)).toBe(60);
    const left = await db.select({ key: authRateLimits.key }).from(authRateLimits).where(like(authRateLimits.key, `${prefix}%`));
    expect(left.map((row) => row.key)).toEqual([`${prefix}live`]);
  });

  it("two whole purges jobs at once delete every expired session and pending sign-in once, without deadlock", async () => {
    const { userId } = await person();
    await db.insert(sessions).values(Array.from({ length: 45 }, () => ({ id: `racing-${randomUUID()}`, userId, expiresAt: ago("1 hour") })));
    await db.insert(sessions).values({ id: `live-${randomUUID()}`, userId, expiresAt: sql`now() + interval '1 day'` });
    await db.insert(pendingSignIns).values(Array.from({ length: 30 }, () => ({ id: `racing-${randomUUID()}`, userId, next: "/", expiresAt: ago("1 hour") })));
    const signal = new AbortController().signal;
    const counts = await Promise.all([purgeExpiredSessions(db, { batchSize: 4, signal }), purgeExpiredSessions(db, { batchSize: 4, signal })]);
    expect(counts.reduce((sum, count) => sum + count, 0)).toBe(45);
    await Promise.all([purgesJob().run({ db, signal }), purgesJob().run({ db, signal })]);
    expect((await db.select({ id: sessions.id }).from(sessions).where(eq(sessions.userId, userId))).map((row) => row.id.split("-")[0])).toEqual(["live"]);
    expect(await db.select({ id: pendingSignIns.id }).from(pendingSignIns).where(eq(pendingSignIns.userId, userId))).toEqual([]);
  });

  it("has an index leading with every column a purge selects by, so a run reads only what it deletes", async () => {
    const result = await db.execute(sql`select tablename, indexdef from pg_indexes where schemaname = 'public'`);
    const indexes = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as { tablename: string; indexdef: string }[];
    const purgedBy: [table: string, column: string][] = [
      ["sessions", "expires_at"],
      ["pending_sign_ins", "expires_at"],
      ["email_links", "expires_at"],
      ["webauthn_challenges", "expires_at"],
      ["known_devices", "last_seen_at"],
      ["auth_rate_limits", "window_started_at"],
      ["mcp_call_windows", "window_started_at"],
      ["mcp_person_call_windows", "window_started_at"],
      ["oauth_clients", "created_at"],
      ["oauth_grants", "created_at"],
      ["oauth_codes", "grant_id"],
    ];
    const unindexed = purgedBy.filter(([table, column]) => !indexes.some((index) => index.tablename === table && index.indexdef.includes(`USING btree (${column}`)));
    expect(unindexed).toEqual([]);
  });

  it("runs as the purges job, and a stopping instance's job stops before its next batch", async () => {
    const { userId } = await person();
    await db.insert(emailLinks).values({ id: `job-${randomUUID()}`, userId, purpose: "password_reset", expiresAt: ago("1 hour") });
    const stopping = new AbortController();
    stopping.abort();
    await purgesJob().run({ db, signal: stopping.signal });
    expect(await db.select({ id: emailLinks.id }).from(emailLinks).where(like(emailLinks.id, "job-%"))).toHaveLength(1);
    await purgesJob().run({ db, signal: new AbortController().signal });
    expect(await db.select({ id: emailLinks.id }).from(emailLinks).where(like(emailLinks.id, "job-%"))).toEqual([]);
  });
});
