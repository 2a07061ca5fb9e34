import { and, eq, gt, isNotNull, isNull, or, sql } from "drizzle-orm";
import type { DatabaseOrTransaction } from "~/server/db/client";
import { apiTokens, oauthGrants } from "~/server/db/schema";

/** What ending someone's access ended: sessions signed out, personal tokens and OAuth connections revoked. */
export interface RevokedAccess {
  sessions: number;
  tokens: number;
  apps: number;
}

/**
 * Revokes every personal token (each secret, an old one still in its overlap included) and every OAuth
 * connection (the grant and all its access and refresh tokens) of the user. Whoever held an account before its
 * owner proved the mailbox (issue 19: an address claimed in advance) keeps nothing that reads it. Counts
 * tokens by identity, as the dashboard lists them, and connections by grant.
 */
export async function revokeAllAccess(db: DatabaseOrTransaction, userId: string): Promise<Omit<RevokedAccess, "sessions">> {
  const personal = await db
    .update(apiTokens)
    .set({ revokedAt: sql`now()` })
    .where(
      and(
        eq(apiTokens.userId, userId),
        eq(apiTokens.kind, "personal"),
        isNull(apiTokens.revokedAt),
        or(isNull(apiTokens.expiresAt), gt(apiTokens.expiresAt, sql`now()`)),
      ),
    )
    .returning({ id: apiTokens.id, identityId: apiTokens.identityId });
  const grants = await db
    .update(oauthGrants)
    .set({ revokedAt: sql`now()` })
    .where(and(eq(oauthGrants.userId, userId), isNull(oauthGrants.revokedAt)))
    .returning({ id: oauthGrants.id });
  // Every OAuth token of the user, not only those of the grants just revoked: a grant revoked earlier has none live.
  await db
    .update(apiTokens)
    .set({ revokedAt: sql`now()`, revokedReason: "revoked" })
    .where(and(eq(apiTokens.userId, userId), isNotNull(apiTokens.grantId), isNull(apiTokens.revokedAt)));
  return { tokens: new Set(personal.map((row) => row.identityId ?? row.id)).size, apps: grants.length };
}
