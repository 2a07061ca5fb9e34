import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createCaller } from "~/server/api/root";
import { createInnerTRPCContext } from "~/server/api/trpc";
import type { SessionUser } from "~/server/auth/session";
import type { Database } from "~/server/db/client";
import { apiTokens, mcpActivity, users } from "~/server/db/schema";
import { verifyBearerToken } from "~/server/tokens/service";
import { engines } from "~/test/db";
import { useTestDatabase } from "~/test/fixtures";
import { issueOAuthTokens } from "~/test/oauth-in-process";
import { expectTRPCError } from "~/test/trpc-errors";

let userCount = 0;

async function createUser(db: Database): Promise<SessionUser> {
  userCount += 1;
  const [user] = await db
    .insert(users)
    .values({ email: `activity${userCount}-${Date.now()}@example.com`, firstname: "Grace", surname: `Trail${userCount}`, passwordHash: "not-a-real-hash" })
    .returning({ id: users.id, email: users.email, firstname: users.firstname, surname: users.surname });
  if (!user) throw new Error("no user inserted");
  return user;
}

describe.each(engines)("activity and token page procedures on %s", (engine) => {
  const { db } = useTestDatabase(engine);

  function callerFor(user: SessionUser) {
    return createCaller(
      createInnerTRPCContext({ db, user, session: { id: `session-of-${user.id}`, userId: user.id, expiresAt: new Date(Date.now() + 60_000), lastVerifiedAt: new Date() } }),
    );
  }

  it("shows a connected app's activity across the access tokens it was issued, and NOT_FOUND for another person's app", async () => {
    const owner = await createUser(db);
    const stranger = await createUser(db);
    const issued = await issueOAuthTokens(db, owner.id, ["read:data"]);
    const other = await issueOAuthTokens(db, owner.id, ["read:data"]);
    const apps = await callerFor(owner).connectedApps.list();
    expect(apps).toHaveLength(2);
    for (const tokens of [issued, issued, other]) {
      const verified = await verifyBearerToken(db, `Bearer ${tokens.accessToken}`);
      if (!verified.ok) throw new Error(verified.reason);
      await db.insert(mcpActivity).values({ at: new Date(), userId: owner.id, tokenId: verified.caller.token.id, tool: "whoami", outcome: "ok", durationMs: 2 });
    }
    const grantOf = async (accessToken: string) => {
      const verified = await verifyBearerToken(db, `Bearer ${accessToken}`);
      return verified.ok ? String(verified.caller.token.grantId) : "";
    };
    const appId = await grantOf(issued.accessToken);
    const page = await callerFor(owner).activity.list({ appId });
    expect(page.entries).toHaveLength(2);
    expect(page.entries.every((entry) => entry.grantId === appId)).toBe(true);
    expect((await callerFor(owner).activity.daily({ appId })).reduce((sum, day) => sum + day.calls, 0)).toBe(2);
    const app = { id: appId };
    await expectTRPCError(callerFor(stranger).activity.list({ appId: app.id }), "NOT_FOUND");
    await expectTRPCError(callerFor(owner).activity.list({ appId: crypto.randomUUID() }), "NOT_FOUND");

    // Revoke access: another person's app is not found, and nothing ends; the owner's ends, once.
    await expect(callerFor(stranger).connectedApps.revoke({ id: appId })).rejects.toMatchObject({
      code: "NOT_FOUND",
      message: "No such connected app among yours. Refresh the page and try again.",
    });
    expect(await callerFor(owner).connectedApps.list()).toContainEqual(expect.objectContaining({ id: appId, revokedAt: null }));
    expect(await callerFor(owner).connectedApps.revoke({ id: appId })).toEqual({ id: appId });
    await expectTRPCError(callerFor(owner).connectedApps.revoke({ id: appId }), "NOT_FOUND");
  });

  it("shows a person their own token's activity and chart, and NOT_FOUND for another person's token", async () => {
    const owner = await createUser(db);
    const stranger = await createUser(db);
    const token = await callerFor(owner).tokens.generate({ name: "Laptop", scopes: ["read:data"], expiresInDays: 30 });
    await db.insert(mcpActivity).values({ at: new Date(), userId: owner.id, tokenId: token.id, tool: "whoami", outcome: "ok", durationMs: 3 });

    const page = await callerFor(owner).activity.list({ tokenId: token.id });
    expect(page.entries).toMatchObject([{ tool: "whoami", outcome: "ok", tokenName: "Laptop" }]);
    const days = await callerFor(owner).activity.daily({ tokenId: token.id });
    expect(days).toHaveLength(30);
    expect(days.at(-1)?.calls).toBe(1);
    expect((await callerFor(owner).activity.list({})).entries).toHaveLength(1);

    await expectTRPCError(callerFor(stranger).activity.list({ tokenId: token.id }), "NOT_FOUND");
    await expectTRPCError(callerFor(stranger).activity.daily({ tokenId: token.id }), "NOT_FOUND");
    await expectTRPCError(callerFor(stranger).tokens.get({ id: token.id }), "NOT_FOUND");
    await expectTRPCError(callerFor(stranger).tokens.regenerate({ id: token.id }), "NOT_FOUND");
    await expectTRPCError(callerFor(stranger).tokens.setDescription({ id: token.id, description: "mine now" }), "NOT_FOUND");
    expect((await callerFor(stranger).activity.list({})).entries).toEqual([]);
  });

  it("saves and clears a description", async () => {
    const owner = await createUser(db);
    const token = await callerFor(owner).tokens.generate({ name: "Desk", scopes: ["read:data"], expiresInDays: 7 });
    expect((await callerFor(owner).tokens.get({ id: token.id })).description).toBeNull();
    expect((await callerFor(owner).tokens.setDescription({ id: token.id, description: "  Claude Desktop at home " })).description).toBe("Claude Desktop at home");
    expect((await callerFor(owner).tokens.setDescription({ id: token.id, description: "" })).description).toBeNull();
    await expectTRPCError(callerFor(owner).tokens.setDescription({ id: token.id, description: "x".repeat(501) }), "BAD_REQUEST");
  });

  it("regenerates: a new secret with the same name, scopes and lifetime; the old one revoked at once", async () => {
    const owner = await createUser(db);
    const caller = callerFor(owner);
    const old = await caller.tokens.generate({ name: "Cursor", scopes: ["read:data", "write:bookings"], expiresInDays: 60 });
    await caller.tokens.setDescription({ id: old.id, description: "work laptop" });
    const fresh = await caller.tokens.regenerate({ id: old.id });
    expect(fresh.token).toMatch(/^mcp_/);
    expect(fresh.token).not.toBe(old.token);
    expect(fresh).toMatchObject({ name: "Cursor", scopes: ["read:data", "write:bookings"] });
    expect(fresh.expiresAt && fresh.expiresAt.getTime() - fresh.createdAt.getTime()).toBe(60 * 24 * 60 * 60 * 1000);
    const details = await caller.tokens.get({ id: fresh.id });
    expect(details).toMatchObject({ description: "work laptop", expiresInDays: 60, status: "active" });
    // One token across regenerations: the old secret's id leads to the same token, now with the new secret.
    expect(await caller.tokens.get({ id: old.id })).toMatchObject({ id: fresh.id, status: "active", secretIds: [fresh.id, old.id] });
    expect((await verifyBearerToken(db, `Bearer ${old.token}`)).ok).toBe(false);
    expect((await verifyBearerToken(db, `Bearer ${fresh.token}`)).ok).toBe(true);
    // The old row stays, for the trail.
    expect(await db.select({ id: apiTokens.id }).from(apiTokens).where(eq(apiTokens.id, old.id))).toHaveLength(1);
    // A revoked token cannot be regenerated; a never-expiring one stays never-expiring.
    await caller.tokens.revoke({ id: fresh.id });
    await expectTRPCError(caller.tokens.regenerate({ id: old.id }), "BAD_REQUEST");
    const forever = await caller.tokens.generate({ name: "Forever", scopes: ["read:data"], expiresInDays: null });
    expect((await caller.tokens.regenerate({ id: forever.id })).expiresAt).toBeNull();
  });

  it("reads one connected app for its page, revoked or not, with its trail; another person's is NOT_FOUND", async () => {
    const owner = await createUser(db);
    const stranger = await createUser(db);
    const issued = await issueOAuthTokens(db, owner.id, ["read:data"]);
    const verified = await verifyBearerToken(db, `Bearer ${issued.accessToken}`);
    if (!verified.ok) throw new Error(verified.reason);
    const appId = String(verified.caller.token.grantId);
    await db.insert(mcpActivity).values({ at: new Date(), userId: owner.id, tokenId: verified.caller.token.id, tool: "whoami", outcome: "ok", durationMs: 2 });

    expect(await callerFor(owner).connectedApps.get({ id: appId })).toMatchObject({ id: appId, scopes: ["read:data"], revokedAt: null });
    await expectTRPCError(callerFor(stranger).connectedApps.get({ id: appId }), "NOT_FOUND");
    await expectTRPCError(callerFor(owner).connectedApps.get({ id: crypto.randomUUID() }), "NOT_FOUND");
    await expectTRPCError(callerFor(owner).connectedApps.get({ id: "not-an-id" }), "BAD_REQUEST");

    // Revoked, the app keeps its page and its trail.
    await callerFor(owner).connectedApps.revoke({ id: appId });
    expect((await callerFor(owner).connectedApps.get({ id: appId })).revokedAt).toBeInstanceOf(Date);
    expect((await callerFor(owner).activity.list({ appId })).entries).toHaveLength(1);
    expect((await callerFor(owner).activity.daily({ appId })).at(-1)?.calls).toBe(1);
    await expectTRPCError(callerFor(stranger).activity.daily({ appId }), "NOT_FOUND");
  });
});
