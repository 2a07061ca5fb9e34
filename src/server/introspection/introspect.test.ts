import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { activityRecorder } from "~/server/activity/recorder";
import { apiTokens, mcpActivity, users } from "~/server/db/schema";
import { mcpResourceUrl } from "~/server/oauth/metadata";
import { generateToken, revokeToken } from "~/server/tokens/service";
import { generateTokenString } from "~/server/tokens/token";
import { engines } from "~/test/db";
import { useTestDatabase } from "~/test/fixtures";
import { issueOAuthTokens } from "~/test/oauth-in-process";
import { authenticateIntrospectionCaller, introspectionEnabled, introspectToken, INTROSPECTION_TOOL } from "./introspect";

const CALLER = { id: "fastmcp-eu" };
const HEADERS = new Headers({ "user-agent": "python-httpx/0.28" });
const CREDENTIALS = [
  { id: "fastmcp-eu", secret: "a-long-enough-secret-1" },
  { id: "sdk-example", secret: "a-long-enough-secret-2" },
];

describe("introspection credentials", () => {
  it("is off without INTROSPECTION_CREDENTIALS", () => {
    expect(introspectionEnabled([])).toBe(false);
    expect(introspectionEnabled(CREDENTIALS)).toBe(true);
  });

  it("knows a listed caller by its exact secret, and nobody else", () => {
    expect(authenticateIntrospectionCaller("fastmcp-eu", "a-long-enough-secret-1", CREDENTIALS)).toEqual({ id: "fastmcp-eu" });
    expect(authenticateIntrospectionCaller("sdk-example", "a-long-enough-secret-2", CREDENTIALS)).toEqual({ id: "sdk-example" });
    expect(authenticateIntrospectionCaller("fastmcp-eu", "a-long-enough-secret-2", CREDENTIALS)).toBeNull();
    expect(authenticateIntrospectionCaller("fastmcp-eu", "a-long-enough-secret-", CREDENTIALS)).toBeNull();
    expect(authenticateIntrospectionCaller("nobody", "a-long-enough-secret-1", CREDENTIALS)).toBeNull();
    expect(authenticateIntrospectionCaller(null, "a-long-enough-secret-1", CREDENTIALS)).toBeNull();
    expect(authenticateIntrospectionCaller("fastmcp-eu", null, CREDENTIALS)).toBeNull();
  });
});

describe.each(engines)("introspectToken on %s", (engine) => {
  const database = useTestDatabase(engine);
  let userId: string;

  beforeAll(async () => {
    const [user] = await database.db
      .insert(users)
      .values({ email: "ada@example.com", firstname: "Ada", surname: "Lovelace", passwordHash: "not-a-real-hash" })
      .returning({ id: users.id });
    if (!user) throw new Error("no user");
    userId = user.id;
  });

  it("describes an active personal token, and records the use in its activity", async () => {
    const { db } = database;
    const created = await generateToken(db, userId, { name: "FastMCP", scopes: ["read:data", "write:bookings"], expiresInDays: 30 });
    const answer = await introspectToken(db, CALLER, created.token, HEADERS);
    expect(answer).toEqual({
      active: true,
      scope: "read:data write:bookings",
      client_id: created.id,
      sub: userId,
      exp: Math.floor((created.expiresAt as Date).getTime() / 1000),
      iat: Math.floor(created.createdAt.getTime() / 1000),
      aud: mcpResourceUrl(),
      token_type: "Bearer",
    });
    await activityRecorder.flush();
    const rows = await db.select().from(mcpActivity).where(eq(mcpActivity.tokenId, created.id));
    expect(rows).toEqual([
      expect.objectContaining({ tool: INTROSPECTION_TOOL, outcome: "ok", summary: "introspected by fastmcp-eu", clientName: "fastmcp-eu", userAgent: "python-httpx/0.28" }),
    ]);
  });

  it("describes an OAuth access token with its app as client_id and its resource as aud", async () => {
    const { db } = database;
    const issued = await issueOAuthTokens(db, userId, ["read:data"]);
    const answer = await introspectToken(db, CALLER, issued.accessToken, HEADERS);
    expect(answer).toMatchObject({ active: true, scope: "read:data", client_id: issued.clientId, sub: userId, aud: mcpResourceUrl(), token_type: "Bearer" });
    expect(answer.active && answer.exp).toBeGreaterThan(Date.now() / 1000);
  });

  it("says only active: false for a revoked, expired, refresh, unknown or malformed token", async () => {
    const { db } = database;
    const revoked = await generateToken(db, userId, { name: "Revoked", scopes: ["read:data"], expiresInDays: 7 });
    expect((await introspectToken(db, CALLER, revoked.token, HEADERS)).active).toBe(true);
    await revokeToken(db, userId, revoked.id);
    const expired = await generateToken(db, userId, { name: "Expired", scopes: ["read:data"], expiresInDays: 7 });
    await db.update(apiTokens).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(apiTokens.id, expired.id));
    const issued = await issueOAuthTokens(db, userId, ["read:data"]);
    const strangers = [revoked.token, expired.token, issued.refreshToken, generateTokenString(), `${generateTokenString().slice(0, -1)}x`, "", "not a token", "eyJhbGciOiJIUzI1NiJ9.e30.x"];
    for (const token of strangers) {
      expect(await introspectToken(db, CALLER, token, HEADERS)).toEqual({ active: false });
    }
    await activityRecorder.flush();
    const recorded = await db.select({ tokenId: mcpActivity.tokenId }).from(mcpActivity).where(eq(mcpActivity.tokenId, expired.id));
    expect(recorded).toEqual([]);
  });
});
