import { scopesNeedSudo } from "~/server/auth/sudo";
import { notifySecurityEvent, requestOrigin } from "~/server/email/security-mail";
import { recentLegacyJwtUse } from "~/server/legacy-jwt/verify";
import type { TokenScope } from "~/server/tokens/scopes";
import { generateToken } from "~/server/tokens/service";
import { createTRPCRouter, domainProcedure, requireSudo } from "../trpc";
import { oneTimeTokenResponse, tokenCreatedEvent } from "./tokens";

// Option A migration, the dashboard side: who still uses the older system's JWTs, and a one-click replacement.

/** The replacement's lifetime: a year, the longest the form offers that still expires. */
const REPLACEMENT_EXPIRY_DAYS = 365;

export const legacyJwtRouter = createTRPCRouter({
  /** When the caller's JWTs were last accepted, if within 30 days; null otherwise (no notice). */
  recentUse: domainProcedure.query(({ ctx }) => recentLegacyJwtUse(ctx.db, ctx.user.id)),

  /** A personal token with the scopes the last JWT carried, shown once like any new token. */
  replace: domainProcedure.mutation(async ({ ctx }) => {
    const use = await recentLegacyJwtUse(ctx.db, ctx.user.id);
    const scopes: TokenScope[] = use && use.scopes.length > 0 ? [...use.scopes] : ["read:data"];
    // Like any new token that can book (tokens.generate).
    if (scopesNeedSudo(scopes)) requireSudo(ctx);
    const stamp = new Date().toISOString().slice(0, 16).replace("T", " ");
    const created = await generateToken(ctx.db, ctx.user.id, { name: `Replaces legacy JWT ${stamp}`, scopes, expiresInDays: REPLACEMENT_EXPIRY_DAYS });
    void notifySecurityEvent(ctx.db, ctx.user.id, tokenCreatedEvent(created), requestOrigin(ctx.headers));
    return oneTimeTokenResponse(created);
  }),
});
