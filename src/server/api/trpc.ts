import "server-only";
import { initTRPC, TRPCError, type TRPC_ERROR_CODE_KEY } from "@trpc/server";
import superjson from "superjson";
import { z } from "zod";
import { TWO_SESSION_COOKIES_MESSAGE } from "~/server/auth/messages";
import { expiredSessionCookie, readSessionCookie, sessionCookie } from "~/server/auth/cookie";
import { validateSessionToken, type Session, type SessionUser, type SessionValidationResult } from "~/server/auth/session";
import { hasSudo, SudoRequiredError } from "~/server/auth/sudo";
import { noteCaller } from "~/server/observability/logger";
import { PasswordHashingBusyError } from "~/server/auth/password";
import { DomainError, type DomainErrorKind } from "~/server/domain-error";
import { getAuthDb, getDb, isDatabaseUnavailable, withDatabaseDeadline, type Database } from "~/server/db";
import { DATABASE_DEADLINE_MS } from "~/server/db/deadline";

export interface TRPCContext {
  db: Database;
  /** The authentication pool (session lookups, revocation): never starved by tool queries. */
  authDb: Database;
  session: Session | null;
  user: SessionUser | null;
  headers: Headers;
  /** Headers of the HTTP response, for Set-Cookie; absent when called from a server component. */
  resHeaders: Headers | null;
}

/** Request-free context: tests build it directly with their own database and user. */
export function createInnerTRPCContext(opts: {
  db: Database;
  authDb?: Database;
  session?: Session | null;
  user?: SessionUser | null;
  headers?: Headers;
  resHeaders?: Headers | null;
}): TRPCContext {
  return {
    db: opts.db,
    authDb: opts.authDb ?? opts.db,
    session: opts.session ?? null,
    user: opts.user ?? null,
    headers: opts.headers ?? new Headers(),
    resHeaders: opts.resHeaders ?? null,
  };
}

export async function createTRPCContext(opts: {
  headers: Headers;
  resHeaders?: Headers;
  /** The request's session as already validated elsewhere (a server component's render, per request): not looked up again. */
  validatedSession?: () => Promise<SessionValidationResult>;
}): Promise<TRPCContext> {
  let db: Database;
  let authDb: Database;
  try {
    [db, authDb] = await withDatabaseDeadline(Promise.all([getDb(), getAuthDb()]));
  } catch (error) {
    throw databaseUnavailable(error);
  }
  const cookie = readSessionCookie(opts.headers.get("cookie"));
  // proxy.ts refuses these first; kept here so that no other way in can pick one of two sessions.
  if (cookie.kind === "several") throw new TRPCError({ code: "BAD_REQUEST", message: TWO_SESSION_COOKIES_MESSAGE });
  let validated: SessionValidationResult = { session: null, user: null };
  if (cookie.kind === "one" && cookie.token) {
    const token = cookie.token;
    const lookup = opts.validatedSession ?? (() => withDatabaseDeadline(validateSessionToken(authDb, token)));
    validated = await lookup().catch(rethrowUnavailable);
  }
  const { session, user } = validated;
  if (cookie.kind === "one") {
    // The session row slides forward when used; the cookie follows it (Lucia guide). Only a token that
    // was just validated is written back, and a dead one is cleared.
    opts.resHeaders?.append("Set-Cookie", session ? sessionCookie(cookie.token, session.expiresAt) : expiredSessionCookie());
  }
  noteCaller({ personId: user?.id });
  return createInnerTRPCContext({ db, authDb, session, user, headers: opts.headers, resHeaders: opts.resHeaders ?? null });
}


function databaseUnavailable(cause: unknown): TRPCError {
  return new TRPCError({ code: "SERVICE_UNAVAILABLE", message: "The database is unavailable. Try again shortly.", cause });
}

function rethrowUnavailable(error: unknown): never {
  throw isDatabaseUnavailable(error) ? databaseUnavailable(error) : error;
}

const t = initTRPC.context<TRPCContext>().create({
  transformer: superjson,
  errorFormatter({ shape, error }) {
    return {
      ...shape,
      // An unexpected error's own message can carry a failed query with its parameters (a password hash,
      // a token hash): the client gets a plain sentence, the server log gets the cause (route onError).
      message: error.code === "INTERNAL_SERVER_ERROR" ? "Something went wrong on our side. Try again in a moment." : shape.message,
      data: {
        ...shape.data,
        // Field errors for forms: { fieldErrors: { name: ["…"] } }.
        zodError: error.cause instanceof z.ZodError ? z.flattenError(error.cause) : null,
        // The browser asks for Confirm access and sends the same call again (src/trpc/sudo-link.ts).
        sudoRequired: error.cause instanceof SudoRequiredError,
        // Never send stack traces to clients.
        stack: undefined,
      },
    };
  },
});

/** Calls one HTTP request may batch; the browser client batches no more (src/trpc/react.tsx). */
export const MAX_BATCH_SIZE = 16;

export const createCallerFactory = t.createCallerFactory;
export const createTRPCRouter = t.router;

// A whole procedure may make several queries (a transaction, a password hash): allow it more than one.
const PROCEDURE_DEADLINE_MS = 2 * DATABASE_DEADLINE_MS;

/**
 * Database outages, including a database that stopped answering, surface as SERVICE_UNAVAILABLE from
 * every procedure, not as a 500 or a request that hangs; so does a full password-hashing queue (sign-in,
 * sign-up, reset, change and delete alike), with Retry-After.
 */
const unavailableMiddleware = t.middleware(async ({ ctx, next }) => {
  const result = await withDatabaseDeadline(next(), PROCEDURE_DEADLINE_MS).catch(rethrowUnavailable);
  if (!result.ok && isDatabaseUnavailable(result.error.cause)) {
    throw databaseUnavailable(result.error.cause);
  }
  if (!result.ok && result.error.cause instanceof PasswordHashingBusyError) {
    ctx.resHeaders?.set("Retry-After", String(result.error.cause.retryAfterSeconds));
    throw new TRPCError({ code: "SERVICE_UNAVAILABLE", message: result.error.cause.message, cause: result.error.cause });
  }
  return result;
});

export const publicProcedure = t.procedure.use(unavailableMiddleware);

export const protectedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.session || !ctx.user) {
    throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in to continue." });
  }
  return next({ ctx: { ...ctx, session: ctx.session, user: ctx.user } });
});

// One way per layer: a refusal (not found, not yours, a wrong password, a spent link, a taken email) is a DomainError,
// thrown by the domain function or the router, and mapped here. TRPCError is left to the adapter's own answers: sign
// in first, sudo mode, too many attempts (with Retry-After), a server without mail, an outage.
const DOMAIN_ERROR_CODES = {
  invalid: "BAD_REQUEST",
  not_found: "NOT_FOUND",
  conflict: "CONFLICT",
  forbidden: "FORBIDDEN",
  unauthorized: "UNAUTHORIZED",
} as const satisfies Record<DomainErrorKind, TRPC_ERROR_CODE_KEY>;

/** Domain refusals reach the client as a specific code with their message. */
const domainErrorMiddleware = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.cause instanceof DomainError) {
    const error = result.error.cause;
    // A ZodError cause puts the message under data.zodError.fieldErrors, where forms read field errors.
    // ZodRealError because it is an Error: tRPC would replace a plain ZodError (not an Error in zod 4).
    const cause = error.field
      ? new z.ZodRealError([{ code: "custom", path: [error.field], message: error.message, input: undefined }])
      : error;
    throw new TRPCError({ code: DOMAIN_ERROR_CODES[error.kind], message: error.message, cause });
  }
  return result;
});

/** protectedProcedure whose domain refusals reach the client as a specific code with their message. */
export const domainProcedure = protectedProcedure.use(domainErrorMiddleware);

/** publicProcedure with the same mapping of domain refusals (signing in with a passkey). */
export const publicDomainProcedure = publicProcedure.use(domainErrorMiddleware);

/**
 * Refuses unless the session is in sudo mode (a password or second-factor check within 10 minutes): FORBIDDEN
 * with data.sudoRequired, which the browser answers with the Confirm access prompt. For procedures where only
 * some inputs need it (a token that can book); whole procedures use sudoProcedure.
 */
export function requireSudo(ctx: { session: Session }): void {
  if (!hasSudo(ctx.session)) {
    const cause = new SudoRequiredError();
    throw new TRPCError({ code: "FORBIDDEN", message: cause.message, cause });
  }
}

/** domainProcedure that first requires sudo mode: for changes that need a recent check of who is asking. */
export const sudoProcedure = domainProcedure.use(({ ctx, next }) => {
  requireSudo(ctx);
  return next();
});
