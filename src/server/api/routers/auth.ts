import { TRPCError } from "@trpc/server";
import { env } from "~/env";
import { sendVerificationLink } from "~/server/account/email-flows";
import { describeError } from "~/server/describe-error";
import { isMailAvailable } from "~/server/email/mailer";
import { authenticateUser, createUser, signInInputSchema, signUpInputSchema } from "~/server/auth/accounts";
import { clientIpFromHeaders } from "~/server/auth/client-ip";
import { expiredSessionCookie, sessionCookie } from "~/server/auth/cookie";
import { authAttemptRule, consumeAuthAttempt, type AuthAttemptKind } from "~/server/auth/rate-limit";
import { createSession, generateSessionToken, invalidateSession, type SessionUser } from "~/server/auth/session";
import type { TRPCContext } from "~/server/api/trpc";
import { createTRPCRouter, publicProcedure } from "~/server/api/trpc";
import { log } from "~/server/observability/logger";
import { metrics } from "~/server/observability/metrics";

export const EMAIL_TAKEN_MESSAGE = "An account with this email already exists. Sign in instead?";
export const WRONG_CREDENTIALS_MESSAGE = "Wrong email or password.";

/** Counts an attempt of `kind` against the caller's IP and `email` (null when the request names none); 429 past the limit. */
export async function enforceAttemptLimit(ctx: TRPCContext, kind: AuthAttemptKind, email: string | null): Promise<void> {
  const result = await consumeAuthAttempt(
    ctx.db,
    { kind, ip: clientIpFromHeaders(ctx.headers), email },
    authAttemptRule(env.AUTH_RATE_LIMIT_PER_MINUTE),
  );
  if (result.allowed) return;
  metrics().limitRefusals.inc({ limit: `auth_${kind}` });
  ctx.resHeaders?.set("Retry-After", String(result.retryAfterSeconds));
  throw new TRPCError({
    code: "TOO_MANY_REQUESTS",
    message: `Too many attempts. Try again in ${result.retryAfterSeconds} second${result.retryAfterSeconds === 1 ? "" : "s"}.`,
  });
}

/** Starts a new session for `user`, ending the one the request came with (no session fixation). */
async function startSession(ctx: TRPCContext, user: SessionUser): Promise<void> {
  if (ctx.session) await invalidateSession(ctx.db, ctx.session.id);
  const token = generateSessionToken();
  const session = await createSession(ctx.db, token, user.id, ctx.headers.get("user-agent"));
  ctx.resHeaders?.append("Set-Cookie", sessionCookie(token, session.expiresAt));
}

export const authRouter = createTRPCRouter({
  signUp: publicProcedure.input(signUpInputSchema).mutation(async ({ ctx, input }) => {
    await enforceAttemptLimit(ctx, "signup", input.email);
    const result = await createUser(ctx.db, input, clientIpFromHeaders(ctx.headers));
    if (!result.ok) throw new TRPCError({ code: "CONFLICT", message: EMAIL_TAKEN_MESSAGE });
    await startSession(ctx, result.user);
    // Off the response path: sign-up lands on the dashboard at once, and a slow or failing mail server
    // only delays the mail (the dashboard offers Resend).
    if (isMailAvailable()) {
      sendVerificationLink(ctx.db, result.user).catch((error: unknown) => {
        log.error(`Sending the verification email failed: ${describeError(error)}`);
      });
    }
    return result.user;
  }),

  signIn: publicProcedure.input(signInInputSchema).mutation(async ({ ctx, input }) => {
    await enforceAttemptLimit(ctx, "signin", input.email);
    const user = await authenticateUser(ctx.db, input, clientIpFromHeaders(ctx.headers));
    metrics().signIns.inc({ outcome: user ? "ok" : "wrong_credentials" });
    if (!user) throw new TRPCError({ code: "UNAUTHORIZED", message: WRONG_CREDENTIALS_MESSAGE });
    await startSession(ctx, user);
    return user;
  }),

  signOut: publicProcedure.mutation(async ({ ctx }) => {
    if (ctx.session) await invalidateSession(ctx.db, ctx.session.id);
    // Clear the cookie even without a valid session: a stale one is no use to anybody.
    ctx.resHeaders?.append("Set-Cookie", expiredSessionCookie());
    return { signedOut: true as const };
  }),

  me: publicProcedure.query(({ ctx }): SessionUser | null => ctx.user),
});
