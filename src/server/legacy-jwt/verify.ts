import { and, eq, gt, sql } from "drizzle-orm";
import { errors as joseErrors, jwtVerify } from "jose";
import { env } from "~/env";
import type { Database } from "~/server/db/client";
import { apiTokens, users } from "~/server/db/schema";
import { UUID_PATTERN } from "~/server/db/uuid";
import { sha256Hex } from "~/server/hash";
import { isTokenScope, type TokenScope } from "~/server/tokens/scopes";

// Option A migration: the older system's HS256 JWTs (signed with MCP_JWT_SECRET) keep working on /api/mcp until
// their exp or MCP_JWT_SUNSET, whichever comes first. DESIGN: Tokens beyond this deployment.

export interface LegacyJwtSettings {
  secret: string;
  issuer: string;
  audience: string;
  sunset: Date | undefined;
}

export function legacyJwtSettings(): LegacyJwtSettings | null {
  const { MCP_JWT_SECRET: secret, MCP_JWT_ISSUER: issuer, MCP_JWT_AUDIENCE: audience, MCP_JWT_SUNSET: sunset } = env;
  return secret && issuer && audience ? { secret, issuer, audience, sunset } : null;
}

/** Three base64url segments: what a JWS compact serialization looks like, before any cryptography. */
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

export function looksLikeJwt(token: string): boolean {
  return token.length <= 8192 && JWT_SHAPE.test(token);
}

export type LegacyJwtVerification =
  | { ok: true; user: { id: string; email: string; firstname: string; surname: string }; scopes: TokenScope[]; expiresAt: Date; rowId: string }
  | { ok: false; reason: "unknown" | "expired" };

/** The claims' scopes (`scopes` array or space-separated `scope`), never beyond ours. */
function claimedScopes(payload: Record<string, unknown>): TokenScope[] {
  const raw = Array.isArray(payload.scopes) ? payload.scopes : typeof payload.scope === "string" ? payload.scope.split(" ") : [];
  return [...new Set(raw.filter((scope): scope is string => typeof scope === "string").filter(isTokenScope))];
}

/**
 * Checks an old system's JWT: HS256 signature, iss, aud and exp by jose (no other algorithm, no exp = refused),
 * then the sunset. The person is found by `sub` (their id) or, failing that, the `email` claim. Each accepted
 * JWT's use is kept on the person's one legacy_jwt row of api_tokens (its last_used_at tells the dashboard who
 * still uses JWTs; its id names the calls in the activity trail).
 */
export async function verifyLegacyJwt(db: Database, token: string, settings: LegacyJwtSettings, now = new Date()): Promise<LegacyJwtVerification> {
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, new TextEncoder().encode(settings.secret), {
      algorithms: ["HS256"],
      issuer: settings.issuer,
      audience: settings.audience,
      requiredClaims: ["exp"],
      currentDate: now,
    }));
  } catch (error) {
    return { ok: false, reason: error instanceof joseErrors.JWTExpired ? "expired" : "unknown" };
  }
  if (settings.sunset && now >= settings.sunset) return { ok: false, reason: "expired" };
  const exp = typeof payload.exp === "number" ? payload.exp : 0;

  const columns = { id: users.id, email: users.email, firstname: users.firstname, surname: users.surname };
  const sub = typeof payload.sub === "string" ? payload.sub : "";
  let [user] = UUID_PATTERN.test(sub) ? await db.select(columns).from(users).where(eq(users.id, sub)) : [];
  if (!user && typeof payload.email === "string" && payload.email.length <= 320) {
    [user] = await db.select(columns).from(users).where(eq(sql`lower(${users.email})`, payload.email.trim().toLowerCase()));
  }
  if (!user) return { ok: false, reason: "unknown" };

  const scopes = claimedScopes(payload);
  const rowId = await recordLegacyUse(db, user.id, scopes);
  return { ok: true, user, scopes, expiresAt: new Date(exp * 1000), rowId };
}

/**
 * The person's legacy_jwt row, created on first use. Its token_hash is no token's (the hash of a string no token
 * has), which keeps the unique index and makes it unusable as a bearer token. Its scopes are the last JWT's,
 * what the dashboard's replacement token gets.
 */
async function recordLegacyUse(db: Database, userId: string, scopes: TokenScope[]): Promise<string> {
  const [row] = await db
    .insert(apiTokens)
    .values({
      userId,
      name: "Legacy JWT",
      kind: "legacy_jwt",
      tokenHash: sha256Hex(`legacy-jwt:${userId}`),
      tokenPrefix: "JWT",
      scopes,
      lastUsedAt: sql`now()`,
    })
    .onConflictDoUpdate({ target: apiTokens.tokenHash, set: { lastUsedAt: sql`now()`, scopes } })
    .returning({ id: apiTokens.id });
  if (!row) throw new Error("Recording a legacy JWT use returned no row");
  return row.id;
}

/** When the person's JWTs were last accepted, if within the last 30 days (the dashboard's notice), with their scopes. */
export async function recentLegacyJwtUse(db: Database, userId: string): Promise<{ lastUsedAt: Date; scopes: TokenScope[] } | null> {
  if (!UUID_PATTERN.test(userId)) return null;
  const [row] = await db
    .select({ lastUsedAt: apiTokens.lastUsedAt, scopes: apiTokens.scopes })
    .from(apiTokens)
    .where(and(eq(apiTokens.userId, userId), eq(apiTokens.kind, "legacy_jwt"), gt(apiTokens.lastUsedAt, sql`now() - interval '30 days'`)));
  return row?.lastUsedAt ? { lastUsedAt: row.lastUsedAt, scopes: row.scopes.filter(isTokenScope) } : null;
}
