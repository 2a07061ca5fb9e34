import { and, eq, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import { env } from "~/env";
import type { Database } from "~/server/db/client";
import { apiTokens, users } from "~/server/db/schema";
import { describeError } from "~/server/describe-error";
import { sendMail } from "~/server/email/mailer";
import { tokenFoundPublicMail } from "~/server/email/templates";
import { hashToken } from "~/server/tokens/token";
import { log } from "~/server/observability/logger";

// Leaked-token reports (GitHub's secret scanning partner program): each reported token that still works is
// revoked at once, as "found public", and its owner is told. DESIGN: Tokens beyond this deployment.

export const FOUND_PUBLIC = "found_public";
/** The most matches one report may carry; GitHub batches a few at a time. */
export const MAX_REPORTED_TOKENS = 1000;

const reportSchema = z
  .array(
    z.object({
      token: z.string().min(1).max(4096),
      type: z.string().max(200),
      url: z.string().max(2048).optional(),
      source: z.string().max(100).optional(),
    }),
  )
  .min(1)
  .max(MAX_REPORTED_TOKENS);

export type LeakReport = z.infer<typeof reportSchema>;

/** The program's feedback for each reported token: ours (true_positive) or not (false_positive), by its hash. */
export interface LeakOutcome {
  token_hash: string;
  token_type: string;
  label: "true_positive" | "false_positive";
}

/** The report, or a readable reason it is not one. */
export function parseLeakReport(value: unknown): { ok: true; report: LeakReport } | { ok: false; message: string } {
  const parsed = reportSchema.safeParse(value);
  if (parsed.success) return { ok: true, report: parsed.data };
  const issue = parsed.error.issues[0];
  const where = issue?.path.length ? ` (at ${issue.path.join(".")})` : "";
  return { ok: false, message: `The body must be a JSON array of 1 to ${MAX_REPORTED_TOKENS} { token, type, url, source } objects${where}.` };
}

/** Only an https URL is kept to be shown on the token's page and in the mail; anything else is not a link. */
function leakUrl(url: string | undefined): string | null {
  return url && URL.canParse(url) && new URL(url).protocol === "https:" ? url : null;
}

export interface RevokedLeak {
  id: string;
  identityId: string | null;
  name: string;
  kind: string;
  userId: string;
  url: string | null;
}

/**
 * Revokes every reported token that still works, recording where it was found. A token already revoked or
 * expired is ours all the same (true_positive) and is left as it was. Returns the outcomes and the tokens
 * revoked now, whose owners notifyOwners() then mails.
 */
export async function revokeReportedTokens(db: Database, report: LeakReport): Promise<{ outcomes: LeakOutcome[]; revoked: RevokedLeak[] }> {
  const outcomes: LeakOutcome[] = [];
  const revokedNow: RevokedLeak[] = [];
  for (const item of report) {
    const tokenHash = hashToken(item.token);
    const url = leakUrl(item.url);
    const [revoked] = await db
      .update(apiTokens)
      .set({ revokedAt: sql`now()`, revokedReason: FOUND_PUBLIC, leakUrl: url, leakSource: item.source?.slice(0, 100) ?? null })
      .where(
        and(
          eq(apiTokens.tokenHash, tokenHash),
          isNull(apiTokens.revokedAt),
          sql`(${apiTokens.expiresAt} is null or ${apiTokens.expiresAt} > now())`,
        ),
      )
      .returning({ id: apiTokens.id, identityId: apiTokens.identityId, name: apiTokens.name, kind: apiTokens.kind, userId: apiTokens.userId });
    let ours = revoked !== undefined;
    if (revoked) {
      revokedNow.push({ ...revoked, url });
    } else {
      const [known] = await db.select({ id: apiTokens.id }).from(apiTokens).where(eq(apiTokens.tokenHash, tokenHash));
      ours = known !== undefined;
    }
    outcomes.push({ token_hash: tokenHash, token_type: item.type, label: ours ? "true_positive" : "false_positive" });
  }
  return { outcomes, revoked: revokedNow };
}

/**
 * Mails the owner of each token revoked for being found public. Failures are logged (never the token) and
 * change nothing: the revocation is what protects the person, and the token's page says so too.
 */
export async function notifyOwners(db: Database, revoked: RevokedLeak[]): Promise<void> {
  for (const token of revoked) await tellOwner(db, token);
}

async function tellOwner(db: Database, token: RevokedLeak): Promise<void> {
  const { url } = token;
  try {
    const [owner] = await db.select({ email: users.email, firstname: users.firstname }).from(users).where(eq(users.id, token.userId));
    if (!owner) return;
    const personal = token.kind === "personal";
    await sendMail(
      tokenFoundPublicMail({
        to: owner.email,
        firstname: owner.firstname,
        tokenName: personal ? `token "${token.name}"` : `access given to ${token.name}`,
        foundAt: url,
        link: personal ? `${env.APP_URL}/dashboard/tokens/${token.identityId ?? token.id}` : `${env.APP_URL}/dashboard/tokens`,
      }),
    );
  } catch (error) {
    log.error(`Token leak report: token ${token.id} was revoked, but its owner could not be mailed: ${describeError(error)}`);
  }
}
