import { TRPCError, type TRPC_ERROR_CODE_KEY } from "@trpc/server";
import { z } from "zod";
import { generateTokenInputSchema, tokenDescriptionSchema, tokenIdSchema } from "~/server/tokens/schemas";
import {
  generateToken,
  getToken,
  listTokens,
  regenerateToken,
  revokeToken,
  setTokenDescription,
  TokenError,
  type GeneratedToken,
  type TokenErrorCode,
} from "~/server/tokens/service";
import { createTRPCRouter, protectedProcedure } from "../trpc";

// Personal access tokens for the dashboard. DESIGN: tRPC. Thin: validate, call the service, map refusals.

const ERROR_CODES: Record<TokenErrorCode, TRPC_ERROR_CODE_KEY> = {
  invalid_input: "BAD_REQUEST",
  name_taken: "CONFLICT",
  too_many_tokens: "FORBIDDEN",
  user_not_found: "UNAUTHORIZED",
};

function toTRPCError(error: unknown): unknown {
  if (!(error instanceof TokenError)) return error;
  // A ZodError cause puts the message under data.zodError.fieldErrors, where forms read field errors.
  // ZodRealError because it is an Error: tRPC would replace a plain ZodError (not an Error in zod 4).
  const cause = error.field ? new z.ZodRealError([{ code: "custom", path: [error.field], message: error.message, input: undefined }]) : error;
  return new TRPCError({ code: ERROR_CODES[error.code], message: error.message, cause });
}

function tokenNotFound(): TRPCError {
  return new TRPCError({ code: "NOT_FOUND", message: "No such token among yours. Refresh the list and try again." });
}

/** A new token as the client gets it: the plaintext this once, beside its settings, and nothing else. */
function oneTimeTokenResponse(created: GeneratedToken) {
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

export const tokensRouter = createTRPCRouter({
  /** Creates a token and returns its plaintext, the only time it is ever sent. */
  generate: protectedProcedure.input(generateTokenInputSchema).mutation(async ({ ctx, input }) => {
    try {
      const created = await generateToken(ctx.db, ctx.user.id, input);
      return oneTimeTokenResponse(created);
    } catch (error) {
      throw toTRPCError(error);
    }
  }),

  /** The caller's tokens, newest first, with their status; never a secret. */
  list: protectedProcedure.query(({ ctx }) => listTokens(ctx.db, ctx.user.id)),

  revoke: protectedProcedure.input(z.object({ id: tokenIdSchema })).mutation(async ({ ctx, input }) => {
    // On the authentication pool: revoking must work while tool calls keep the main pool busy.
    const revoked = await revokeToken(ctx.authDb, ctx.user.id, input.id);
    // Someone else's token is "not found" too, so ids reveal nothing about other people's tokens.
    if (!revoked) throw tokenNotFound();
    return revoked;
  }),

  /** One token's settings and description (its page). */
  get: protectedProcedure.input(z.object({ id: tokenIdSchema })).query(async ({ ctx, input }) => {
    const token = await getToken(ctx.db, ctx.user.id, input.id);
    if (!token) throw tokenNotFound();
    return token;
  }),

  setDescription: protectedProcedure
    .input(z.object({ id: tokenIdSchema, description: tokenDescriptionSchema }))
    .mutation(async ({ ctx, input }) => {
      const token = await setTokenDescription(ctx.db, ctx.user.id, input.id, input.description);
      if (!token) throw tokenNotFound();
      return token;
    }),

  /** A new secret for the same settings; the old one is revoked in the same transaction. Plaintext shown once. */
  regenerate: protectedProcedure.input(z.object({ id: tokenIdSchema })).mutation(async ({ ctx, input }) => {
    try {
      const created = await regenerateToken(ctx.db, ctx.user.id, input.id);
      if (!created) throw tokenNotFound();
      return oneTimeTokenResponse(created);
    } catch (error) {
      throw toTRPCError(error);
    }
  }),
});
