import { z } from "zod";
import { scopesNeedSudo } from "~/server/auth/sudo";
import { DomainError } from "~/server/domain-error";
import { notifySecurityEvent, requestOrigin, type SecurityEvent } from "~/server/email/security-mail";
import { generateTokenInputSchema, regenerateOverlapSchema, tokenDescriptionSchema, tokenExpiresInDaysSchema, tokenIdSchema } from "~/server/tokens/schemas";
import {
  generateToken,
  getToken,
  listTokens,
  regenerateToken,
  revokeToken,
  setTokenDescription,
  setTokenExpiry,
  type GeneratedToken,
} from "~/server/tokens/service";
import { createTRPCRouter, domainProcedure, requireSudo, sudoProcedure } from "../trpc";

// Personal access tokens for the dashboard. DESIGN: tRPC. Thin: validate, call the service; domainProcedure
// turns the service's refusals into their tRPC codes, with the field a form shows them by.

function tokenNotFound(): DomainError {
  return new DomainError("not_found", "No such token among yours. Refresh the list and try again.");
}

/** A new token as the client gets it: the plaintext this once, beside its settings, and nothing else. */
export function oneTimeTokenResponse(created: GeneratedToken) {
  return {
    token: created.token,
    id: created.id,
    prefix: created.prefix,
    name: created.name,
    scopes: created.scopes,
    expiresAt: created.expiresAt,
    createdAt: created.createdAt,
  };
}

/** The security mail a new token sends its owner (not a regenerated secret: that is the same token). */
export function tokenCreatedEvent(created: GeneratedToken): SecurityEvent {
  return { kind: "token_created", tokenId: created.id, tokenName: created.name, scopes: created.scopes, expiresAt: created.expiresAt };
}

export const tokensRouter = createTRPCRouter({
  /** Creates a token and returns its plaintext, the only time it is ever sent. */
  generate: domainProcedure.input(generateTokenInputSchema).mutation(async ({ ctx, input }) => {
    // A token that can book and cancel is as strong as the session itself: it needs sudo mode.
    if (scopesNeedSudo(input.scopes)) requireSudo(ctx);
    const created = await generateToken(ctx.db, ctx.user.id, input);
    void notifySecurityEvent(ctx.db, ctx.user.id, tokenCreatedEvent(created), requestOrigin(ctx.headers));
    return oneTimeTokenResponse(created);
  }),

  /** The caller's tokens, newest first, with their status; never a secret. */
  list: domainProcedure.query(({ ctx }) => listTokens(ctx.db, ctx.user.id)),

  revoke: domainProcedure.input(z.object({ id: tokenIdSchema })).mutation(async ({ ctx, input }) => {
    // On the authentication pool: revoking must work while tool calls keep the main pool busy.
    const revoked = await revokeToken(ctx.authDb, ctx.user.id, input.id);
    // Someone else's token is "not found" too, so ids reveal nothing about other people's tokens.
    if (!revoked) throw tokenNotFound();
    return revoked;
  }),

  /** One token's settings and description (its page). */
  get: domainProcedure.input(z.object({ id: tokenIdSchema })).query(async ({ ctx, input }) => {
    const token = await getToken(ctx.db, ctx.user.id, input.id);
    if (!token) throw tokenNotFound();
    return token;
  }),

  setDescription: domainProcedure
    .input(z.object({ id: tokenIdSchema, description: tokenDescriptionSchema }))
    .mutation(async ({ ctx, input }) => {
      const token = await setTokenDescription(ctx.db, ctx.user.id, input.id, input.description);
      if (!token) throw tokenNotFound();
      return token;
    }),

  /** A new expiry for an active token, counted from now; the secret stays. Scope changes go through Regenerate. */
  setExpiry: domainProcedure
    .input(z.object({ id: tokenIdSchema, expiresInDays: tokenExpiresInDaysSchema }))
    .mutation(async ({ ctx, input }) => {
      const token = await setTokenExpiry(ctx.db, ctx.user.id, input.id, input.expiresInDays);
      if (!token) throw tokenNotFound();
      return token;
    }),

  /** A new secret for the same token; the old one stops now or after the overlap chosen. Plaintext shown once. */
  regenerate: sudoProcedure.input(z.object({ id: tokenIdSchema, overlap: regenerateOverlapSchema })).mutation(async ({ ctx, input }) => {
    const created = await regenerateToken(ctx.db, ctx.user.id, input.id, input.overlap);
    if (!created) throw tokenNotFound();
    return oneTimeTokenResponse(created);
  }),
});
