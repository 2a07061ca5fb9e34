import type { Database } from "~/server/db/client";
import { connectedAppTokenIds } from "~/server/oauth/grants";
import { getToken } from "~/server/tokens/service";
import type { ActivityOwner } from "./queries";

/**
 * Whose calls a page or a download shows: all of the person's, one of their tokens (tokenId), or every token of
 * one of their connected apps (appId, a grant). Null when the token or app is not theirs: callers answer NOT_FOUND.
 */
export async function activityOwnerFor(db: Database, userId: string, scope: { tokenId?: string; appId?: string }): Promise<ActivityOwner | null> {
  if (scope.appId !== undefined) {
    const tokenIds = await connectedAppTokenIds(db, userId, scope.appId);
    return tokenIds === null ? null : { userId, tokenIds };
  }
  if (scope.tokenId !== undefined) {
    // Every secret the token has had: regenerating keeps one history.
    const token = await getToken(db, userId, scope.tokenId);
    return token ? { userId, tokenIds: token.secretIds } : null;
  }
  return { userId };
}
