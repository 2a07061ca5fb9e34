import { eq, sql } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { apiTokens, oauthClients, oauthGrants, users } from "~/server/db/schema";
import { listTokens, settleLastUsedWrites, verifyBearerToken } from "~/server/tokens/service";
import { generateTokenString, hashToken, tokenPrefix, wellFormedTokenKind } from "~/server/tokens/token";
import { engines } from "~/test/db";
import { useTestDatabase } from "~/test/fixtures";
import { pkcePair } from "~/test/oauth";
import { approveAuthorization, checkResource, parseRequestedScopes, type AuthorizationRequest } from "./authorization";
import { registerClient, type OAuthClient } from "./clients";
import { listConnectedApps, revokeConnectedApp } from "./grants";
import { mcpResourceUrl, REFRESH_GRACE_SECONDS } from "./metadata";
import { isValidCodeChallenge, verifyCodeVerifier } from "./pkce";
import { redirectUriKind, redirectUriMatches } from "./redirect-uri";
import { exchangeAuthorizationCode, refreshAccessToken, revokeClientToken } from "./token-endpoint";

describe("redirect URIs", () => {
  it("match exactly, except loopback, which ignores the port (RFC 8252 §7.3)", () => {
    expect(redirectUriMatches(["https://app.example/cb"], "https://app.example/cb")).toBe(true);
    expect(redirectUriMatches(["https://app.example/cb"], "https://app.example/cb/")).toBe(false);
    expect(redirectUriMatches(["https://app.example/cb"], "https://app.example:8443/cb")).toBe(false);
    expect(redirectUriMatches(["http://localhost/callback"], "http://localhost:51234/callback")).toBe(true);
    expect(redirectUriMatches(["http://127.0.0.1:33418/"], "http://127.0.0.1:50000/")).toBe(true);
    expect(redirectUriMatches(["http://[::1]/cb"], "http://[::1]:4000/cb")).toBe(true);
    // localhost never stands for 127.0.0.1, and the path and query still count.
    expect(redirectUriMatches(["http://localhost/callback"], "http://127.0.0.1:5000/callback")).toBe(false);
    expect(redirectUriMatches(["http://localhost/callback"], "http://localhost:5000/other")).toBe(false);
    expect(redirectUriMatches(["http://localhost/callback?a=1"], "http://localhost:5000/callback?a=2")).toBe(false);
    expect(redirectUriMatches(["http://localhost/callback"], "http://localhost.evil.example:5000/callback")).toBe(false);
    expect(redirectUriMatches(["cursor://anysphere.cursor-mcp/oauth/callback"], "cursor://anysphere.cursor-mcp/oauth/callback")).toBe(true);
  });

  it("may be https, loopback http or a private-use scheme; never a fragment, credentials or a dangerous scheme", () => {
    expect(redirectUriKind("https://claude.ai/api/mcp/auth_callback")).toBe("https");
    expect(redirectUriKind("http://localhost:8787/callback")).toBe("loopback");
    expect(redirectUriKind("cursor://anysphere.cursor-mcp/oauth/callback")).toBe("private-use");
    for (const bad of ["http://app.example/cb", "https://app.example/cb#x", "https://user:pw@app.example/cb", "javascript:alert(1)", "data:text/html,x", "file:///etc/passwd", "not a url"]) {
      expect(redirectUriKind(bad), bad).toBeNull();
    }
  });
});

describe("PKCE, scopes, resource", () => {
  it("verifies S256 only, with RFC 7636 verifier rules", () => {
    const { verifier, challenge } = pkcePair();
    expect(isValidCodeChallenge(challenge)).toBe(true);
    expect(verifyCodeVerifier(verifier, challenge)).toBe(true);
    expect(verifyCodeVerifier(pkcePair().verifier, challenge)).toBe(false);
    expect(verifyCodeVerifier("short", challenge)).toBe(false);
    expect(isValidCodeChallenge(verifier.slice(0, 10))).toBe(false);
  });

  it("splits scopes on any whitespace, ignores offline_access, defaults to all, refuses unknown ones", () => {
    expect(parseRequestedScopes(" offline_access\tread:data ")).toEqual({ ok: true, scopes: ["read:data"] });
    expect(parseRequestedScopes(null)).toEqual({ ok: true, scopes: ["read:data", "write:bookings"] });
    expect(parseRequestedScopes("offline_access")).toEqual({ ok: true, scopes: ["read:data", "write:bookings"] });
    expect(parseRequestedScopes("read:data admin")).toEqual({ ok: false, unknown: "admin" });
  });

  it("accepts our MCP URL as the resource (case-insensitive host, trailing slash), nothing else", () => {
    const canonical = mcpResourceUrl();
    expect(checkResource([])).toBe(canonical);
    expect(checkResource([`${canonical}/`])).toBe(canonical);
    expect(checkResource([canonical.replace("localhost", "LOCALHOST")])).toBe(canonical);
    expect(checkResource(["https://other.example/api/mcp"])).toBeNull();
    expect(checkResource([canonical, canonical])).toBeNull();
    expect(checkResource([`${canonical}?x=1`])).toBeNull();
  });

  it("gives OAuth tokens their own prefixes with the same checksum", () => {
    const access = generateTokenString("oauth_access");
    const refresh = generateTokenString("oauth_refresh");
    expect(access).toMatch(/^mcpo_[0-9A-Za-z]{49}$/);
    expect(refresh).toMatch(/^mcpr_[0-9A-Za-z]{49}$/);
    expect(wellFormedTokenKind(access)).toBe("oauth_access");
    expect(wellFormedTokenKind(refresh)).toBe("oauth_refresh");
    expect(wellFormedTokenKind(`${access.slice(0, -1)}${access.endsWith("0") ? "1" : "0"}`)).toBeNull();
    expect(tokenPrefix(access)).toBe(access.slice(0, 13));
  });
});

describe.each(engines)("OAuth grants and tokens on %s", (engine) => {
  const { db } = useTestDatabase(engine);
  let userCount = 0;
  afterEach(() => settleLastUsedWrites());

  async function createUser() {
    userCount += 1;
    const [user] = await db
      .insert(users)
      .values({ email: `oauth${userCount}@example.com`, firstname: "Grace", surname: "Hopper", passwordHash: "x" })
      .returning({ id: users.id });
    if (!user) throw new Error("no user");
    return user.id;
  }

  const client: OAuthClient = {
    clientId: "https://client.example/metadata.json",
    name: "Example client",
    verifiedHost: "client.example",
    redirectUris: ["http://localhost/callback"],
    authMethod: "none",
    grantTypes: ["authorization_code", "refresh_token"],
    secretHash: null,
  };

  async function allow(userId: string, scopes: ("read:data" | "write:bookings")[] = ["read:data", "write:bookings"], port = 4000) {
    const { verifier, challenge } = pkcePair();
    const request: AuthorizationRequest = { client, redirectUri: `http://localhost:${port}/callback`, state: null, codeChallenge: challenge, scopes, resource: mcpResourceUrl() };
    const location = new URL(await approveAuthorization(db, userId, request, scopes));
    return { code: location.searchParams.get("code") ?? "", verifier, request };
  }

  async function connect(userId: string, scopes: ("read:data" | "write:bookings")[] = ["read:data", "write:bookings"], port = 4000) {
    const { code, verifier, request } = await allow(userId, scopes, port);
    const result = await exchangeAuthorizationCode(db, client, new URLSearchParams({ code, code_verifier: verifier, redirect_uri: request.redirectUri }));
    if (!result.ok) throw new Error(result.description);
    return { tokens: result.body, code, verifier, redirectUri: request.redirectUri };
  }

  const refresh = (token: string) => refreshAccessToken(db, client, new URLSearchParams({ refresh_token: token }));
  const bearer = (token: string) => verifyBearerToken(db, `Bearer ${token}`, mcpResourceUrl());

  it("issues hashed, scoped, resource-bound rows that /api/mcp verification accepts; refresh tokens are refused there", async () => {
    const userId = await createUser();
    const { tokens } = await connect(userId);
    const [row] = await db.select().from(apiTokens).where(eq(apiTokens.tokenHash, hashToken(tokens.access_token)));
    expect(row).toMatchObject({ kind: "oauth_access", resource: mcpResourceUrl(), name: "Example client", scopes: ["read:data", "write:bookings"] });
    expect(row?.grantId).toBeTruthy();
    const verified = await bearer(tokens.access_token);
    expect(verified.ok && verified.caller.token).toMatchObject({ kind: "oauth_access", grantId: row?.grantId });
    expect(await bearer(tokens.refresh_token ?? "")).toMatchObject({ ok: false, reason: "refresh_token" });
    // Personal token listings never show OAuth rows.
    expect(await listTokens(db, userId)).toEqual([]);
  });

  it("refuses a token issued for another resource (audience binding)", async () => {
    const userId = await createUser();
    const { tokens } = await connect(userId);
    await db.update(apiTokens).set({ resource: "https://other.example/api/mcp" }).where(eq(apiTokens.tokenHash, hashToken(tokens.access_token)));
    expect(await bearer(tokens.access_token)).toMatchObject({ ok: false, reason: "wrong_resource" });
  });

  it("refuses an expired code, and a replayed code revokes what the first exchange issued", async () => {
    const userId = await createUser();
    const first = await connect(userId);
    const replay = await exchangeAuthorizationCode(db, client, new URLSearchParams({ code: first.code, code_verifier: first.verifier, redirect_uri: first.redirectUri }));
    expect(replay).toMatchObject({ ok: false, error: "invalid_grant" });
    expect(await bearer(first.tokens.access_token)).toMatchObject({ ok: false, reason: "revoked" });
  });

  it("a replayed code revokes its own chain (refreshed too) and nothing else; that chain's refresh token is then refused without more harm", async () => {
    const userId = await createUser();
    const stolen = await connect(userId);
    const stolenRefreshed = await refresh(stolen.tokens.refresh_token ?? "");
    if (!stolenRefreshed.ok) throw new Error(stolenRefreshed.description);
    const other = await connect(userId);
    const replay = await exchangeAuthorizationCode(db, client, new URLSearchParams({ code: stolen.code, code_verifier: stolen.verifier, redirect_uri: stolen.redirectUri }));
    expect(replay).toMatchObject({ ok: false, error: "invalid_grant" });
    expect(await bearer(stolenRefreshed.body.access_token)).toMatchObject({ ok: false, reason: "revoked" });
    expect(await refresh(stolenRefreshed.body.refresh_token ?? "")).toMatchObject({ ok: false, error: "invalid_grant" });
    expect((await bearer(other.tokens.access_token)).ok).toBe(true);
    expect((await refresh(other.tokens.refresh_token ?? "")).ok).toBe(true);
    expect(await listConnectedApps(db, userId)).toHaveLength(1);
  });

  /** Pushes a rotated refresh token's rotation past the grace window: presenting it again now is reuse. */
  async function pastGrace(refreshToken: string) {
    await db
      .update(apiTokens)
      .set({ revokedAt: sql`now() - make_interval(secs => ${REFRESH_GRACE_SECONDS + 5})` })
      .where(eq(apiTokens.tokenHash, hashToken(refreshToken)));
  }

  it("rotates refresh tokens, forgives a replay within the grace window, and ends that sign-in (not the connection) on a replay after it", async () => {
    const userId = await createUser();
    const { tokens } = await connect(userId);
    const rotated = await refresh(tokens.refresh_token ?? "");
    if (!rotated.ok) throw new Error(rotated.description);
    // The old access token stays valid until it expires; the old refresh token is rotated.
    expect((await bearer(rotated.body.access_token)).ok).toBe(true);
    const parallel = await refresh(tokens.refresh_token ?? "");
    if (!parallel.ok) throw new Error(parallel.description);

    // Past the grace window, the same replay means the chain was copied (RFC 9700 §4.14.2): everything of that
    // sign-in is revoked, the parallel pair too. The connection itself stays, listed, for the app to sign in again.
    await pastGrace(tokens.refresh_token ?? "");
    expect(await refresh(tokens.refresh_token ?? "")).toMatchObject({ ok: false, error: "invalid_grant" });
    for (const pair of [rotated.body, parallel.body]) {
      expect(await bearer(pair.access_token)).toMatchObject({ ok: false, reason: "revoked" });
      expect(await refresh(pair.refresh_token ?? "")).toMatchObject({ ok: false, error: "invalid_grant" });
    }
    // Still listed, and live.
    const apps = await listConnectedApps(db, userId);
    expect(apps).toMatchObject([{ revokedAt: null }]);
    const again = await connect(userId);
    expect((await bearer(again.tokens.access_token)).ok).toBe(true);
    expect((await listConnectedApps(db, userId)).map((app) => app.id)).toEqual(apps.map((app) => app.id));
  });

  it("another sign-in of the same app keeps working after reuse is detected on one chain, and after the app revokes one chain's refresh token (RFC 7009)", async () => {
    const userId = await createUser();
    const machineA = await connect(userId, undefined, 4000);
    const machineB = await connect(userId, undefined, 51234);
    const rotatedA = await refresh(machineA.tokens.refresh_token ?? "");
    if (!rotatedA.ok) throw new Error(rotatedA.description);

    // Reuse on machine A's chain ends that chain only.
    await pastGrace(machineA.tokens.refresh_token ?? "");
    expect(await refresh(machineA.tokens.refresh_token ?? "")).toMatchObject({ ok: false, error: "invalid_grant" });
    expect(await bearer(rotatedA.body.access_token)).toMatchObject({ ok: false, reason: "revoked" });
    expect((await bearer(machineB.tokens.access_token)).ok).toBe(true);
    const rotatedB = await refresh(machineB.tokens.refresh_token ?? "");
    if (!rotatedB.ok) throw new Error(rotatedB.description);
    expect((await bearer(rotatedB.body.access_token)).ok).toBe(true);

    // Machine B's app signs out (RFC 7009 on its refresh token): its chain ends; machine C stays connected.
    const machineC = await connect(userId, undefined, 60000);
    await revokeClientToken(db, client, rotatedB.body.refresh_token ?? "");
    expect(await bearer(rotatedB.body.access_token)).toMatchObject({ ok: false, reason: "revoked" });
    expect(await refresh(rotatedB.body.refresh_token ?? "")).toMatchObject({ ok: false, error: "invalid_grant" });
    // Nor does a parallel refresh within the grace window bring the ended chain back.
    expect(await refresh(machineB.tokens.refresh_token ?? "")).toMatchObject({ ok: false, error: "invalid_grant" });
    expect((await bearer(machineC.tokens.access_token)).ok).toBe(true);
    const rotatedC = await refresh(machineC.tokens.refresh_token ?? "");
    if (!rotatedC.ok) throw new Error(rotatedC.description);
    expect((await bearer(rotatedC.body.access_token)).ok).toBe(true);
    const apps = await listConnectedApps(db, userId);
    expect(apps).toMatchObject([{ revokedAt: null }]);

    // The person's Revoke access still ends all of it.
    await revokeConnectedApp(db, userId, apps[0]?.id ?? "");
    expect(await bearer(rotatedC.body.access_token)).toMatchObject({ ok: false, reason: "revoked" });
    expect(await refresh(rotatedC.body.refresh_token ?? "")).toMatchObject({ ok: false, error: "invalid_grant" });
    expect(await listConnectedApps(db, userId)).toMatchObject([{ id: apps[0]?.id, revokedAt: expect.any(Date) }]);
  });

  it("caps the pairs minted from one rotated refresh token within the grace window", async () => {
    const userId = await createUser();
    const { tokens } = await connect(userId);
    const results = [];
    for (let i = 0; i < 8; i++) results.push(await refresh(tokens.refresh_token ?? ""));
    expect(results.slice(0, 6).every((result) => result.ok)).toBe(true);
    expect(results[6]).toMatchObject({ ok: false, error: "invalid_grant" });
  });

  it("narrows scopes on refresh when asked, never widens them", async () => {
    const userId = await createUser();
    const { tokens } = await connect(userId, ["read:data"]);
    expect(await refreshAccessToken(db, client, new URLSearchParams({ refresh_token: tokens.refresh_token ?? "", scope: "read:data write:bookings" }))).toMatchObject({
      ok: false,
      error: "invalid_scope",
    });
  });

  it("lists one connected app per person × client, whatever loopback port it returns to; revoking it ends every token at once", async () => {
    const userId = await createUser();
    const stranger = await createUser();
    const a = await connect(userId, undefined, 4000);
    const b = await connect(userId, undefined, 51234);
    const apps = await listConnectedApps(db, userId);
    expect(apps).toHaveLength(1);
    expect(apps[0]).toMatchObject({ clientName: "Example client", clientHost: "client.example", redirectHost: "localhost:51234" });
    const grantId = apps[0]?.id ?? "";
    await expect(revokeConnectedApp(db, stranger, grantId)).rejects.toMatchObject({ kind: "not_found" });
    await revokeConnectedApp(db, userId, grantId);
    for (const token of [a.tokens.access_token, b.tokens.access_token]) expect(await bearer(token)).toMatchObject({ ok: false, reason: "revoked" });
    expect(await refresh(b.tokens.refresh_token ?? "")).toMatchObject({ ok: false, error: "invalid_grant" });
    await expect(revokeConnectedApp(db, userId, grantId)).rejects.toMatchObject({ kind: "not_found" });
    const [grant] = await db.select({ revokedAt: oauthGrants.revokedAt }).from(oauthGrants).where(eq(oauthGrants.id, grantId));
    expect(grant?.revokedAt).toBeInstanceOf(Date);
    // Revoked connections stay listed, after the live ones; connecting again makes a new one.
    await connect(userId);
    const listed = await listConnectedApps(db, userId);
    expect(listed.map((app) => [app.id === grantId, app.revokedAt === null])).toEqual([
      [false, true],
      [true, false],
    ]);
  });

  it("lists nothing for an Allow whose code is never exchanged, and sweeps it on a later Allow once its code expired", async () => {
    const userId = await createUser();
    const abandoned = await allow(userId);
    expect(await listConnectedApps(db, userId)).toEqual([]);
    const pending = await db.select({ id: oauthGrants.id }).from(oauthGrants).where(eq(oauthGrants.userId, userId));
    expect(pending).toHaveLength(1);
    // The same app again, from another port, before it expired: the same pending grant, and connecting lists it once.
    const { tokens } = await connect(userId, ["read:data"], 60000);
    const apps = await listConnectedApps(db, userId);
    expect(apps.map((app) => app.id)).toEqual(pending.map((row) => row.id));
    expect(apps[0]?.scopes).toEqual(["read:data"]);
    // The abandoned code still works within its lifetime, under the same connection.
    const late = await exchangeAuthorizationCode(db, client, new URLSearchParams({ code: abandoned.code, code_verifier: abandoned.verifier, redirect_uri: abandoned.request.redirectUri }));
    expect(late.ok).toBe(true);
    expect((await bearer(tokens.access_token)).ok).toBe(true);
    expect(await listConnectedApps(db, userId)).toHaveLength(1);

    // Another person's abandoned attempt: swept when they next press Allow, once its code expired.
    const other = await createUser();
    await allow(other);
    await db.execute(sql`update oauth_codes set expires_at = now() - interval '1 second' where grant_id in (select id from oauth_grants where user_id = ${other})`);
    const otherClient = { ...client, clientId: "https://other.example/metadata.json" };
    await approveAuthorization(db, other, { ...abandoned.request, client: otherClient }, ["read:data"]);
    const left = await db.select({ clientId: oauthGrants.clientId }).from(oauthGrants).where(eq(oauthGrants.userId, other));
    expect(left).toEqual([{ clientId: otherClient.clientId }]);
  });

  it("refuses a code whose connection was revoked after the consent", async () => {
    const userId = await createUser();
    await connect(userId);
    const pending = await allow(userId, undefined, 5555);
    const [app] = await listConnectedApps(db, userId);
    await revokeConnectedApp(db, userId, app?.id ?? "");
    const result = await exchangeAuthorizationCode(db, client, new URLSearchParams({ code: pending.code, code_verifier: pending.verifier, redirect_uri: pending.request.redirectUri }));
    expect(result).toMatchObject({ ok: false, error: "invalid_grant" });
    expect(await listConnectedApps(db, userId)).toMatchObject([{ id: app?.id, revokedAt: expect.any(Date) }]);
  });

  it("refuses a DCR client_name with invisible or control characters, and URI fields that are not https", async () => {
    const base = { redirect_uris: ["https://app.example/callback"], token_endpoint_auth_method: "none" };
    for (const body of [
      { ...base, client_name: "Helper \u202Edlrow olleh" },
      { ...base, client_name: "two\nlines" },
      { ...base, client_name: "   " },
      { ...base, logo_uri: "javascript:alert(1)" },
      { ...base, logo_uri: "data:image/svg+xml,<svg/>" },
      { ...base, tos_uri: "javascript:alert(1)" },
      { ...base, policy_uri: "http://app.example/privacy" },
    ]) {
      const refused = await registerClient(db, body);
      expect(refused.ok, JSON.stringify(body)).toBe(false);
    }
    const accepted = await registerClient(db, { ...base, client_name: "  Ünïcode ✓ 👩‍💻  ", logo_uri: "https://app.example/logo.png" });
    if (!accepted.ok) throw new Error(accepted.description);
    expect(accepted.response.client_name).toBe("Ünïcode ✓ 👩‍💻");
  });

  it("registers DCR clients with a hashed secret, omitting absent fields", async () => {
    const registered = await registerClient(db, { redirect_uris: ["https://claude.ai/api/mcp/auth_callback"], token_endpoint_auth_method: "client_secret_post", client_name: "Claude" });
    if (!registered.ok) throw new Error(registered.description);
    const secret = String(registered.response.client_secret);
    expect(Object.values(registered.response)).not.toContain(null);
    expect(registered.response).not.toHaveProperty("client_uri");
    const [row] = await db.select().from(oauthClients).where(eq(oauthClients.id, String(registered.response.client_id)));
    expect(row?.secretHash).toBe(hashToken(secret));
    expect(JSON.stringify(row)).not.toContain(secret);

    expect(await registerClient(db, { redirect_uris: [] })).toMatchObject({ ok: false, error: "invalid_redirect_uri" });
    expect(await registerClient(db, { redirect_uris: ["http://localhost/cb"], token_endpoint_auth_method: "private_key_jwt" })).toMatchObject({ ok: false, error: "invalid_client_metadata" });
    expect(await registerClient(db, { redirect_uris: ["http://localhost/cb"], grant_types: ["client_credentials"] })).toMatchObject({ ok: false, error: "invalid_client_metadata" });
  });
});
