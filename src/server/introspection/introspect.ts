import { timingSafeEqual } from "node:crypto";
import { eq } from "drizzle-orm";
import { env } from "~/env";
import { activityRecorder } from "~/server/activity/recorder";
import { clientIpFromHeaders } from "~/server/auth/client-ip";
import { consumeRateLimit, type RateLimitResult } from "~/server/auth/rate-limit";
import type { Database } from "~/server/db/client";
import { oauthGrants } from "~/server/db/schema";
import { sha256Hex } from "~/server/hash";
import { mcpResourceUrl } from "~/server/oauth/metadata";
import { verifyBearerToken } from "~/server/tokens/service";
import { wellFormedTokenKind } from "~/server/tokens/token";

// RFC 7662 token introspection for resource servers elsewhere (a FastMCP server, an SDK example) that accept
// Carestral tokens. DESIGN: Tokens beyond this deployment.

/** The activity trail's name for an introspected use: it is neither a tool nor an MCP method. */
export const INTROSPECTION_TOOL = "introspection";

export interface IntrospectionCaller {
  id: string;
}

export type IntrospectionResponse =
  | { active: false }
  | { active: true; scope: string; client_id: string; sub: string; exp?: number; iat: number; aud: string; token_type: "Bearer" };

/** Whether introspection is on: without INTROSPECTION_CREDENTIALS the endpoint does not exist (404). */
export function introspectionEnabled(credentials = env.INTROSPECTION_CREDENTIALS): boolean {
  return credentials.length > 0;
}

/**
 * The configured caller these credentials belong to, or null. Secrets are compared as SHA-256 digests with
 * timingSafeEqual (equal lengths whatever was sent), and an unknown id costs the same comparison.
 */
export function authenticateIntrospectionCaller(
  clientId: string | null,
  secret: string | null,
  credentials = env.INTROSPECTION_CREDENTIALS,
): IntrospectionCaller | null {
  if (clientId === null || secret === null) return null;
  const sent = Buffer.from(sha256Hex(secret));
  const known = credentials.find((credential) => credential.id === clientId);
  const expected = Buffer.from(sha256Hex(known?.secret ?? `unknown:${secret}`));
  const matches = timingSafeEqual(sent, expected);
  return known && matches ? { id: known.id } : null;
}

/** One introspection request per call, per caller and minute (INTROSPECTION_RATE_LIMIT_PER_MINUTE), on every instance. */
export function consumeIntrospectionBudget(db: Database, caller: IntrospectionCaller): Promise<RateLimitResult> {
  return consumeRateLimit(db, `introspect:${caller.id}`, { limit: env.INTROSPECTION_RATE_LIMIT_PER_MINUTE, windowMs: 60_000 });
}

/**
 * What a resource server learns about `token`: the same verification as /api/mcp (no cache, so a revoked token
 * is inactive on the very next request), and nothing at all about a token that does not work there. An active
 * token's use is recorded in its activity as "introspected by <caller>".
 */
export async function introspectToken(db: Database, caller: IntrospectionCaller, token: string, headers: Headers): Promise<IntrospectionResponse> {
  const started = performance.now();
  // Only our own formats: an Option A JWT works on /api/mcp during the migration, but is not ours to vouch for.
  if (wellFormedTokenKind(token) === null) return { active: false };
  const verified = await verifyBearerToken(db, `Bearer ${token}`);
  if (!verified.ok) return { active: false };
  const { user, token: verifiedToken } = verified.caller;

  // An OAuth token's client is the app it was issued to; a personal token has none, so it names itself.
  let clientId = verifiedToken.id;
  if (verifiedToken.grantId !== null) {
    const [grant] = await db.select({ clientId: oauthGrants.clientId }).from(oauthGrants).where(eq(oauthGrants.id, verifiedToken.grantId));
    if (!grant) return { active: false };
    clientId = grant.clientId;
  }

  activityRecorder.record(db, {
    at: new Date(),
    userId: user.id,
    tokenId: verifiedToken.id,
    tool: INTROSPECTION_TOOL,
    outcome: "ok",
    durationMs: Math.max(0, Math.round(performance.now() - started)),
    clientIp: clientIpFromHeaders(headers),
    userAgent: headers.get("user-agent")?.slice(0, 256) ?? null,
    summary: `introspected by ${caller.id}`,
    error: null,
    clientName: caller.id,
    clientVersion: null,
  });

  return {
    active: true,
    scope: verifiedToken.scopes.join(" "),
    client_id: clientId,
    sub: user.id,
    ...(verifiedToken.expiresAt === null ? {} : { exp: Math.floor(verifiedToken.expiresAt.getTime() / 1000) }),
    iat: Math.floor(verifiedToken.createdAt.getTime() / 1000),
    aud: verifiedToken.resource ?? mcpResourceUrl(),
    token_type: "Bearer",
  };
}
