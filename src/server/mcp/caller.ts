import type { AuthInfo } from "@modelcontextprotocol/server";
import { z } from "zod";
import { isTokenScope, type TokenScope } from "~/server/tokens/scopes";
import type { TokenKind } from "~/server/tokens/token";

/** Who is calling, as the token service verified it. */
export interface McpCaller {
  user: { id: string; email: string; firstname: string; surname: string };
  token: { id: string; name: string; scopes: TokenScope[]; expiresAt: Date | null; kind: TokenKind; grantId: string | null };
}

const authExtraSchema = z.object({
  userId: z.string(),
  email: z.string(),
  firstname: z.string(),
  surname: z.string(),
  tokenId: z.string(),
  tokenName: z.string(),
  tokenKind: z.enum(["personal", "oauth_access", "oauth_refresh"]).default("personal"),
  grantId: z.string().nullable().default(null),
  /** The stored expiry to the millisecond (AuthInfo.expiresAt is whole seconds); absent = never. */
  tokenExpiresAt: z.iso.datetime().optional(),
});

/** Reads the AuthInfo that verifyBearerToken builds (DESIGN: Tokens, verification). */
export function callerFromAuthInfo(auth: AuthInfo): McpCaller {
  const extra = authExtraSchema.parse(auth.extra);
  return {
    user: { id: extra.userId, email: extra.email, firstname: extra.firstname, surname: extra.surname },
    token: {
      id: extra.tokenId,
      name: extra.tokenName,
      scopes: auth.scopes.filter(isTokenScope),
      expiresAt: extra.tokenExpiresAt
        ? new Date(extra.tokenExpiresAt)
        : auth.expiresAt === undefined
          ? null
          : new Date(auth.expiresAt * 1000),
      kind: extra.tokenKind,
      grantId: extra.grantId,
    },
  };
}
