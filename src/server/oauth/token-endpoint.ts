import { and, count, eq, isNull, sql } from "drizzle-orm";
import { env } from "~/env";
import type { Database, Transaction } from "~/server/db/client";
import { apiTokens, oauthCodes, oauthGrants } from "~/server/db/schema";
import { isTokenScope, type TokenScope } from "~/server/tokens/scopes";
import { generateTokenString, hashToken, tokenPrefix, wellFormedTokenKind } from "~/server/tokens/token";
import { checkResource, parseRequestedScopes } from "./authorization";
import { markClientUsed, type OAuthClient } from "./clients";
import { ACCESS_TOKEN_TTL_SECONDS, MAX_GRACE_REPLAYS, REFRESH_GRACE_SECONDS, REFRESH_TOKEN_TTL_DAYS } from "./metadata";
import { verifyCodeVerifier } from "./pkce";

// The token endpoint's grants (OAuth 2.1 §4.1.3 and §4.3) and revocation (RFC 7009). Access and refresh tokens
// are rows of api_tokens, hashed like personal tokens, so /api/mcp verifies them the same way.

export type TokenErrorCode = "invalid_request" | "invalid_grant" | "invalid_scope" | "invalid_target" | "unauthorized_client" | "unsupported_grant_type";

export type TokenResult =
  | { ok: true; body: { access_token: string; token_type: "Bearer"; expires_in: number; scope: string; refresh_token?: string } }
  | { ok: false; error: TokenErrorCode; description: string; retryAfterSeconds?: number };

function failure(error: TokenErrorCode, description: string): TokenResult {
  return { ok: false, error, description };
}

/** grant_type=authorization_code: a single-use code, its PKCE verifier, and the exact redirect URI it was sent to. */
export async function exchangeAuthorizationCode(db: Database, client: OAuthClient, form: URLSearchParams): Promise<TokenResult> {
  const code = form.get("code");
  const verifier = form.get("code_verifier");
  const redirectUri = form.get("redirect_uri");
  if (!code) return failure("invalid_request", "code is required.");
  if (!verifier) return failure("invalid_request", "code_verifier is required (PKCE).");
  if (!redirectUri) return failure("invalid_request", "redirect_uri is required.");

  const codeHash = hashToken(code);
  const result = await db.transaction(async (tx): Promise<TokenResult> => {
    // Locked: of two concurrent exchanges, the second waits and then sees used_at already set.
    const [row] = await tx
      .select({
        grantId: oauthCodes.grantId,
        clientId: oauthCodes.clientId,
        redirectUri: oauthCodes.redirectUri,
        codeChallenge: oauthCodes.codeChallenge,
        scopes: oauthCodes.scopes,
        resource: oauthCodes.resource,
        used: sql<boolean>`(${oauthCodes.usedAt} is not null)`,
        expired: sql<boolean>`(${oauthCodes.expiresAt} <= now())`,
      })
      .from(oauthCodes)
      .where(eq(oauthCodes.codeHash, codeHash))
      .for("update");
    if (!row) return failure("invalid_grant", "The authorization code is unknown.");
    if (row.used) {
      // OAuth 2.1 §4.1.3: a code used twice was stolen or replayed; what it issued is revoked (the tokens of its
      // chain, refreshed or not), and nothing else: the app's other sign-ins under the same connection live on.
      await revokeChain(tx, { grantId: row.grantId, codeHash });
      return failure("invalid_grant", "The authorization code was already used. Sign in again.");
    }
    // Marked used only once every check below has passed (the row stays locked meanwhile): a leaked code
    // tried with a wrong verifier must not make the real client's exchange look like a replay.
    if (row.expired) return failure("invalid_grant", "The authorization code has expired. Sign in again.");
    if (row.clientId !== client.clientId) return failure("invalid_grant", "The authorization code was issued to another client.");
    if (row.redirectUri !== redirectUri) return failure("invalid_grant", "redirect_uri differs from the one the code was sent to.");
    if (!verifyCodeVerifier(verifier, row.codeChallenge)) return failure("invalid_grant", "code_verifier does not match the code_challenge (PKCE).");
    const resource = checkResource(form.getAll("resource"));
    if (resource === null || resource !== row.resource) return failure("invalid_target", "resource differs from the one the code was issued for.");

    const [grant] = await tx
      .select({ userId: oauthGrants.userId, revoked: sql<boolean>`(${oauthGrants.revokedAt} is not null)` })
      .from(oauthGrants)
      .where(eq(oauthGrants.id, row.grantId))
      .for("update");
    if (!grant || grant.revoked) return failure("invalid_grant", "This connection was revoked. Sign in again.");
    const scopes = row.scopes.filter(isTokenScope);
    const issued = await issueTokens(tx, client, { grantId: row.grantId, userId: grant.userId, clientName: client.name, scopes, resource, rotatedFromId: null, codeHash });
    if (issued.ok) {
      await tx.update(oauthCodes).set({ usedAt: sql`now()` }).where(eq(oauthCodes.codeHash, codeHash));
      await connectGrant(tx, client, { grantId: row.grantId, redirectUri: row.redirectUri, scopes });
    }
    return issued;
  });
  if (result.ok) await markClientUsed(db, client.clientId);
  return result;
}

/**
 * The code's grant becomes (or stays) the person's connection to this client, as this consent left it: its
 * scopes, where it returned to (any loopback port), the client's current name. Listed from now on.
 */
async function connectGrant(tx: Transaction, client: OAuthClient, code: { grantId: string; redirectUri: string; scopes: TokenScope[] }): Promise<void> {
  await tx
    .update(oauthGrants)
    .set({
      connectedAt: sql`coalesce(${oauthGrants.connectedAt}, now())`,
      scopes: code.scopes,
      redirectUri: code.redirectUri,
      clientName: client.name,
      clientHost: client.verifiedHost,
    })
    .where(eq(oauthGrants.id, code.grantId));
}

/**
 * grant_type=refresh_token, rotated on every use (OAuth 2.1 §4.3.1). A rotated token presented again within
 * REFRESH_GRACE_SECONDS is a client refreshing in parallel: it gets another pair (at most MAX_GRACE_REPLAYS)
 * and nothing is revoked. Presented later, its chain was copied (RFC 9700 §4.14.2): that chain is revoked, the
 * sign-in it came from, and nothing else; the app's other sign-ins under the same connection live on.
 */
export async function refreshAccessToken(db: Database, client: OAuthClient, form: URLSearchParams): Promise<TokenResult> {
  const refreshToken = form.get("refresh_token");
  if (!refreshToken) return failure("invalid_request", "refresh_token is required.");
  if (wellFormedTokenKind(refreshToken) !== "oauth_refresh") return failure("invalid_grant", "The refresh token is not valid.");

  return db.transaction(async (tx): Promise<TokenResult> => {
    const [row] = await tx
      .select({
        id: apiTokens.id,
        grantId: apiTokens.grantId,
        scopes: apiTokens.scopes,
        resource: apiTokens.resource,
        revokedReason: apiTokens.revokedReason,
        codeHash: apiTokens.codeHash,
        active: sql<boolean>`(${apiTokens.revokedAt} is null)`,
        withinGrace: sql<boolean>`(${apiTokens.revokedAt} > now() - make_interval(secs => ${REFRESH_GRACE_SECONDS}))`,
        expired: sql<boolean>`(${apiTokens.expiresAt} <= now())`,
        userId: oauthGrants.userId,
        clientId: oauthGrants.clientId,
        clientName: oauthGrants.clientName,
        grantScopes: oauthGrants.scopes,
        grantRevoked: sql<boolean>`(${oauthGrants.revokedAt} is not null)`,
      })
      .from(apiTokens)
      .innerJoin(oauthGrants, eq(apiTokens.grantId, oauthGrants.id))
      .where(and(eq(apiTokens.tokenHash, hashToken(refreshToken)), eq(apiTokens.kind, "oauth_refresh")))
      .for("update", { of: apiTokens });
    if (!row?.grantId) return failure("invalid_grant", "The refresh token is not valid.");
    if (row.clientId !== client.clientId) return failure("invalid_grant", "The refresh token was issued to another client.");
    if (row.grantRevoked) return failure("invalid_grant", "This connection was revoked. Sign in again.");
    if (row.expired) return failure("invalid_grant", "The refresh token has expired. Sign in again.");

    const resource = checkResource(form.getAll("resource"));
    if (resource === null || resource !== row.resource) return failure("invalid_target", "resource differs from the one the token was issued for.");
    // Never more than the grant allows now: connecting again with fewer scopes narrows the older refresh tokens too.
    const granted = row.scopes.filter((scope) => isTokenScope(scope) && row.grantScopes.includes(scope)) as TokenScope[];
    let scopes = granted;
    if (form.get("scope") !== null) {
      const requested = parseRequestedScopes(form.get("scope"));
      if (!requested.ok || requested.scopes.some((scope) => !granted.includes(scope))) {
        return failure("invalid_scope", "A refresh can only keep or narrow the scopes granted.");
      }
      scopes = requested.scopes;
    }
    const grant = { grantId: row.grantId, userId: row.userId, clientName: row.clientName, scopes, resource, codeHash: row.codeHash };

    if (row.active) {
      const issued = await issueTokens(tx, client, { ...grant, rotatedFromId: row.id });
      if (!issued.ok) return issued;
      await tx.update(apiTokens).set({ revokedAt: sql`now()`, revokedReason: "rotated" }).where(eq(apiTokens.id, row.id));
      await revokeAccessTokenIssuedWith(tx, { id: row.id, grantId: row.grantId });
      return issued;
    }
    const chain = { grantId: row.grantId, codeHash: row.codeHash };
    // Revoked on purpose (its chain was ended): refused, and nothing more is revoked. Only a rotated token
    // presented again says its chain was copied.
    if (row.revokedReason !== "rotated") return failure("invalid_grant", "The refresh token was revoked. Sign in again.");
    if (row.withinGrace) {
      // A chain ended since (reuse detected, or revoked by the client) is not brought back by a parallel refresh.
      if (!(await chainLives(tx, chain))) return failure("invalid_grant", "The refresh token was revoked. Sign in again.");
      const [siblings] = await tx.select({ count: count() }).from(apiTokens).where(eq(apiTokens.rotatedFromId, row.id));
      if ((siblings?.count ?? 0) < 1 + MAX_GRACE_REPLAYS) return issueTokens(tx, client, { ...grant, rotatedFromId: row.id });
    }
    await revokeChain(tx, chain);
    return failure("invalid_grant", "The refresh token was already used. This sign-in has been ended for safety: sign in again.");
  });
}

/**
 * A refresh ends the access token it replaces, so one connection holds a bounded number of live access
 * tokens (and its per-token call limit means something). That token is the one issued with the refresh
 * token: same connection, same insert, so the same created_at (now() is the transaction's time).
 */
async function revokeAccessTokenIssuedWith(tx: Transaction, refresh: { id: string; grantId: string }): Promise<void> {
  // Compared in SQL: a JS Date would drop the microseconds.
  await tx
    .update(apiTokens)
    .set({ revokedAt: sql`now()`, revokedReason: "rotated" })
    .where(
      and(
        eq(apiTokens.grantId, refresh.grantId),
        eq(apiTokens.kind, "oauth_access"),
        sql`${apiTokens.createdAt} = (select t.created_at from api_tokens t where t.id = ${refresh.id})`,
        isNull(apiTokens.revokedAt),
      ),
    );
}

/**
 * One sign-in of an app: every token its code's exchange began (its first pair and every pair refreshed from
 * it), kept together by code_hash. The tokens of a grant issued before codes were recorded (null) count as one.
 */
interface Chain {
  grantId: string;
  codeHash: string | null;
}

function inChain(chain: Chain) {
  return and(eq(apiTokens.grantId, chain.grantId), chain.codeHash === null ? isNull(apiTokens.codeHash) : eq(apiTokens.codeHash, chain.codeHash));
}

/** Revokes every live token of a chain; the grant, and the app's other chains, are left connected. */
async function revokeChain(tx: Transaction, chain: Chain): Promise<void> {
  await tx
    .update(apiTokens)
    .set({ revokedAt: sql`now()`, revokedReason: "revoked" })
    .where(and(inChain(chain), isNull(apiTokens.revokedAt)));
}

/** Whether the chain still holds a live refresh token (it was not ended). */
async function chainLives(tx: Transaction, chain: Chain): Promise<boolean> {
  const [live] = await tx
    .select({ id: apiTokens.id })
    .from(apiTokens)
    .where(and(inChain(chain), eq(apiTokens.kind, "oauth_refresh"), isNull(apiTokens.revokedAt), sql`${apiTokens.expiresAt} > now()`))
    .limit(1);
  return live !== undefined;
}

interface IssueInput {
  grantId: string;
  userId: string;
  clientName: string;
  scopes: TokenScope[];
  resource: string;
  rotatedFromId: string | null;
  /** The authorization code that began the chain (null for tokens issued before codes were recorded). */
  codeHash: string | null;
}

async function issueTokens(tx: Transaction, client: OAuthClient, input: IssueInput): Promise<TokenResult> {
  // Per connection: counted from the access tokens it was issued, so no counter can drift from the rows.
  const [recent] = await tx
    .select({ count: count() })
    .from(apiTokens)
    .where(and(eq(apiTokens.grantId, input.grantId), eq(apiTokens.kind, "oauth_access"), sql`${apiTokens.createdAt} > now() - interval '1 minute'`));
  if ((recent?.count ?? 0) >= env.OAUTH_TOKEN_RATE_LIMIT_PER_MINUTE) {
    return { ok: false, error: "invalid_request", description: "This connection asked for new tokens too often. Try again in a minute.", retryAfterSeconds: 60 };
  }
  const accessToken = generateTokenString("oauth_access");
  const withRefresh = client.grantTypes.includes("refresh_token");
  const refreshToken = withRefresh ? generateTokenString("oauth_refresh") : null;
  const common = { userId: input.userId, name: input.clientName, scopes: input.scopes, grantId: input.grantId, resource: input.resource, codeHash: input.codeHash };
  await tx.insert(apiTokens).values([
    {
      ...common,
      kind: "oauth_access" as const,
      tokenHash: hashToken(accessToken),
      tokenPrefix: tokenPrefix(accessToken),
      expiresAt: sql`now() + make_interval(secs => ${ACCESS_TOKEN_TTL_SECONDS})`,
    },
    ...(refreshToken === null
      ? []
      : [
          {
            ...common,
            kind: "oauth_refresh" as const,
            tokenHash: hashToken(refreshToken),
            tokenPrefix: tokenPrefix(refreshToken),
            expiresAt: sql`now() + make_interval(days => ${REFRESH_TOKEN_TTL_DAYS})`,
            rotatedFromId: input.rotatedFromId,
          },
        ]),
  ]);
  return {
    ok: true,
    body: {
      access_token: accessToken,
      token_type: "Bearer",
      expires_in: ACCESS_TOKEN_TTL_SECONDS,
      scope: input.scopes.join(" "),
      ...(refreshToken === null ? {} : { refresh_token: refreshToken }),
    },
  };
}

/**
 * RFC 7009: revokes an access or refresh token the client holds. A refresh token ends its chain, the sign-in it
 * came from (§2.1: the access tokens of the same authorization grant, here the code, go too): an app signing out
 * on one machine leaves the same app on another connected. Only the person ends the whole connection (Connected
 * apps → Revoke access). Unknown tokens, other clients' tokens and personal tokens are left alone, and the answer
 * is the same, so the endpoint reveals nothing.
 */
export async function revokeClientToken(db: Database, client: OAuthClient, token: string): Promise<void> {
  const kind = wellFormedTokenKind(token);
  if (kind !== "oauth_access" && kind !== "oauth_refresh") return;
  await db.transaction(async (tx) => {
    const [row] = await tx
      .select({ id: apiTokens.id, grantId: apiTokens.grantId, codeHash: apiTokens.codeHash, clientId: oauthGrants.clientId })
      .from(apiTokens)
      .innerJoin(oauthGrants, eq(apiTokens.grantId, oauthGrants.id))
      .where(eq(apiTokens.tokenHash, hashToken(token)));
    if (!row?.grantId || row.clientId !== client.clientId) return;
    if (kind === "oauth_refresh") {
      await revokeChain(tx, { grantId: row.grantId, codeHash: row.codeHash });
    } else {
      await tx
        .update(apiTokens)
        .set({ revokedAt: sql`now()`, revokedReason: "revoked" })
        .where(and(eq(apiTokens.id, row.id), isNull(apiTokens.revokedAt)));
    }
  });
}
