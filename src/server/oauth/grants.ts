import { and, desc, eq, isNotNull, isNull, max, sql } from "drizzle-orm";
import type { Database, DatabaseOrTransaction } from "~/server/db/client";
import { DomainError } from "~/server/domain-error";
import { apiTokens, oauthGrants } from "~/server/db/schema";
import { UUID_PATTERN } from "~/server/db/uuid";
import { isTokenScope, type TokenScope } from "~/server/tokens/scopes";

// Grants: one per connected app (person × client, whatever loopback port it returns to). What the dashboard
// lists as "Connected apps" once a code was exchanged (connected_at), and what "Revoke access" ends, with every
// token issued under it.

export interface ConnectedApp {
  id: string;
  clientName: string;
  /** The host that vouches for the client (CIMD); null when the name is self-asserted (DCR). */
  clientHost: string | null;
  redirectHost: string;
  scopes: TokenScope[];
  connectedAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** One of the user's connections (active or revoked), or null when there is none or it is someone else's. */
export async function getConnectedApp(db: Database, userId: string, grantId: string): Promise<ConnectedApp | null> {
  if (!UUID_PATTERN.test(userId) || !UUID_PATTERN.test(grantId)) return null;
  const [row] = await db
    .select(connectedAppColumns)
    .from(oauthGrants)
    .leftJoin(apiTokens, eq(apiTokens.grantId, oauthGrants.id))
    .where(and(eq(oauthGrants.id, grantId), eq(oauthGrants.userId, userId), isNotNull(oauthGrants.connectedAt)))
    .groupBy(oauthGrants.id);
  return row ? toConnectedApp(row) : null;
}

/**
 * The ids of the access tokens a connection was issued (the ones that call /api/mcp), for its activity; null when
 * the connection is not the user's. Revoked and expired ones included: the trail stays whole.
 */
export async function connectedAppTokenIds(db: Database, userId: string, grantId: string): Promise<string[] | null> {
  if (!UUID_PATTERN.test(userId) || !UUID_PATTERN.test(grantId)) return null;
  const rows = await db
    .select({ tokenId: apiTokens.id })
    .from(oauthGrants)
    .leftJoin(apiTokens, and(eq(apiTokens.grantId, oauthGrants.id), eq(apiTokens.userId, userId), eq(apiTokens.kind, "oauth_access")))
    .where(and(eq(oauthGrants.id, grantId), eq(oauthGrants.userId, userId), isNotNull(oauthGrants.connectedAt)));
  // No row: not one of the user's connections. One row without a token: connected, no access token left.
  if (rows.length === 0) return null;
  return rows.flatMap((row) => (row.tokenId === null ? [] : [row.tokenId]));
}

/**
 * The user's connections, live ones first, then revoked ones (kept, as revoked tokens are), each newest first,
 * with the last time any of their tokens was used.
 */
export async function listConnectedApps(db: Database, userId: string): Promise<ConnectedApp[]> {
  if (!UUID_PATTERN.test(userId)) return [];
  const rows = await db
    .select(connectedAppColumns)
    .from(oauthGrants)
    .leftJoin(apiTokens, eq(apiTokens.grantId, oauthGrants.id))
    .where(and(eq(oauthGrants.userId, userId), isNotNull(oauthGrants.connectedAt)))
    .groupBy(oauthGrants.id)
    .orderBy(sql`${oauthGrants.revokedAt} is not null`, desc(oauthGrants.connectedAt), desc(oauthGrants.id));
  return rows.map(toConnectedApp);
}

const connectedAppColumns = {
  id: oauthGrants.id,
  clientName: oauthGrants.clientName,
  clientHost: oauthGrants.clientHost,
  redirectUri: oauthGrants.redirectUri,
  scopes: oauthGrants.scopes,
  connectedAt: oauthGrants.connectedAt,
  lastUsedAt: max(apiTokens.lastUsedAt),
  revokedAt: oauthGrants.revokedAt,
};

function toConnectedApp<Row extends { redirectUri: string; scopes: string[]; connectedAt: Date | null }>({ redirectUri, scopes, connectedAt, ...row }: Row) {
  // Only connected grants are selected; the fallback keeps the type honest.
  return { ...row, connectedAt: connectedAt ?? new Date(0), redirectHost: redirectHost(redirectUri), scopes: scopes.filter(isTokenScope) };
}

function redirectHost(uri: string): string {
  const url = new URL(uri);
  return url.protocol === "https:" || url.protocol === "http:" ? url.host : `${url.protocol}//${url.host}`;
}

/**
 * Ends one of the user's connections: the grant and every token issued under it, at once, so the app's very
 * next request is refused. Refused (not_found) when there is no such active grant among the user's: another
 * person's looks the same as none, so ids reveal nothing.
 */
export async function revokeConnectedApp(db: Database, userId: string, grantId: string): Promise<void> {
  if (!UUID_PATTERN.test(userId) || !UUID_PATTERN.test(grantId)) throw connectedAppNotFound();
  await db.transaction(async (tx) => {
    const [grant] = await tx
      .select({ id: oauthGrants.id })
      .from(oauthGrants)
      .where(and(eq(oauthGrants.id, grantId), eq(oauthGrants.userId, userId), isNotNull(oauthGrants.connectedAt), isNull(oauthGrants.revokedAt)))
      .for("update");
    if (!grant) throw connectedAppNotFound();
    await revokeGrantTokens(tx, grant.id, { revokeGrant: true });
  });
}

function connectedAppNotFound(): DomainError {
  return new DomainError("not_found", "No such connected app among yours. Refresh the page and try again.");
}

/** Revokes every live token of a grant, and the grant itself when asked. */
export async function revokeGrantTokens(db: DatabaseOrTransaction, grantId: string, options: { revokeGrant: boolean }): Promise<void> {
  if (options.revokeGrant) {
    await db.update(oauthGrants).set({ revokedAt: sql`coalesce(${oauthGrants.revokedAt}, now())` }).where(eq(oauthGrants.id, grantId));
  }
  await db
    .update(apiTokens)
    .set({ revokedAt: sql`now()`, revokedReason: "revoked" })
    .where(and(eq(apiTokens.grantId, grantId), isNull(apiTokens.revokedAt)));
}
