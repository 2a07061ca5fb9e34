import { and, eq, gt, inArray, isNotNull, isNull, lte, sql, type SQL } from "drizzle-orm";
import type { Database } from "~/server/db/client";
import { withDatabaseDeadline } from "~/server/db/deadline";
import { apiTokens } from "~/server/db/schema";
import { describeError } from "~/server/describe-error";
import { mailDelivery } from "~/server/email/mailer";
import { sendSecurityMail, type SecurityEvent } from "~/server/email/security-mail";
import type { BackgroundJob } from "~/server/jobs/scheduler";
import { log } from "~/server/observability/logger";
import { EXPIRY_WARNING_DAYS } from "./schemas";

// Mail about personal tokens' expiry (issue 22): a warning 7 days before, and a notice once expired, each at
// most once per token. OAuth tokens live an hour and renew themselves, so they get neither. Every instance
// runs this; a notice is claimed by the UPDATE … RETURNING that picks it (FOR UPDATE SKIP LOCKED, and the
// claim column re-checked under the row lock), so two instances never mail one notice twice.

/**
 * Tokens that expired longer ago than this get no notice: a job that was stopped for a while catches up, but
 * turning the feature on does not mail people about tokens that expired months ago.
 */
const EXPIRED_NOTICE_LOOKBACK_DAYS = 7;

export interface ExpiryNoticeOptions {
  /** Tokens claimed per UPDATE: a batch's mail is sent before the next is claimed. */
  batchSize?: number;
  /** Batches per notice kind per run; what is left waits for the next run. */
  maxBatches?: number;
  /** Aborted when the instance stops: no batch is claimed after it. */
  signal?: AbortSignal;
}

export interface ExpiryNoticesSent {
  warnings: number;
  expired: number;
}

interface ClaimedToken {
  id: string;
  identityId: string | null;
  userId: string;
  name: string;
  expiresAt: Date | null;
}

// The current secret of a personal token that was not revoked (a secret replaced by Regenerate ends by design).
const currentPersonal = and(eq(apiTokens.kind, "personal"), isNull(apiTokens.replacedAt), isNull(apiTokens.revokedAt), isNotNull(apiTokens.expiresAt));

const warningDue = and(
  currentPersonal,
  isNull(apiTokens.expiryWarningSentAt),
  gt(apiTokens.expiresAt, sql`now()`),
  lte(apiTokens.expiresAt, sql`now() + make_interval(days => ${EXPIRY_WARNING_DAYS})`),
  // Made with a week or less to live: its owner chose that moments ago, and the creation mail said when it ends.
  sql`${apiTokens.createdAt} < ${apiTokens.expiresAt} - make_interval(days => ${EXPIRY_WARNING_DAYS})`,
);

const expiredNoticeDue = and(
  currentPersonal,
  isNull(apiTokens.expiredNoticeSentAt),
  lte(apiTokens.expiresAt, sql`now()`),
  gt(apiTokens.expiresAt, sql`now() - make_interval(days => ${EXPIRED_NOTICE_LOOKBACK_DAYS})`),
);

type ClaimColumn = "expiryWarningSentAt" | "expiredNoticeSentAt";

function stamp(claim: ClaimColumn, value: SQL | null) {
  return claim === "expiryWarningSentAt" ? { expiryWarningSentAt: value } : { expiredNoticeSentAt: value };
}

/** Claims up to `batchSize` tokens that `due` selects, stamping `claim` (which `due` requires to be null). */
async function claimBatch(db: Database, due: SQL | undefined, claim: ClaimColumn, batchSize: number): Promise<ClaimedToken[]> {
  const candidates = db
    .select({ id: apiTokens.id })
    .from(apiTokens)
    .where(due)
    .orderBy(apiTokens.expiresAt)
    .limit(batchSize)
    .for("update", { skipLocked: true });
  return db
    .update(apiTokens)
    .set(stamp(claim, sql`now()`))
    // `due` again: a row another run claimed between the subquery's snapshot and this row's lock is skipped.
    .where(and(inArray(apiTokens.id, candidates), due))
    .returning({ id: apiTokens.id, identityId: apiTokens.identityId, userId: apiTokens.userId, name: apiTokens.name, expiresAt: apiTokens.expiresAt });
}

/** A notice that could not be sent goes back to unclaimed, so the next run tries it again. */
async function releaseClaims(db: Database, claim: ClaimColumn, tokens: ClaimedToken[]): Promise<void> {
  if (tokens.length === 0) return;
  await db
    .update(apiTokens)
    .set(stamp(claim, null))
    .where(inArray(apiTokens.id, tokens.map((token) => token.id)));
}

async function sendNotices(
  db: Database,
  kind: "token_expiring" | "token_expired",
  options: { batchSize: number; maxBatches: number; signal?: AbortSignal },
): Promise<number> {
  const [due, claim] = kind === "token_expiring" ? ([warningDue, "expiryWarningSentAt"] as const) : ([expiredNoticeDue, "expiredNoticeSentAt"] as const);
  let sent = 0;
  for (let batch = 0; batch < options.maxBatches && !options.signal?.aborted; batch++) {
    const claimed = await withDatabaseDeadline(claimBatch(db, due, claim, options.batchSize));
    for (const [index, token] of claimed.entries()) {
      const tokenId = token.identityId ?? token.id;
      const expiresAt = token.expiresAt ?? new Date();
      const event: SecurityEvent =
        kind === "token_expiring"
          ? { kind, tokenId, tokenName: token.name, expiresAt }
          : { kind, tokenId, tokenName: token.name, expiredAt: expiresAt };
      try {
        if (await sendSecurityMail(db, token.userId, event, { origin: null })) sent += 1;
      } catch (error) {
        // The mail server is failing: give this batch back and stop until the next run.
        log.error(`Token expiry notices: sending failed, will retry: ${describeError(error)}`);
        await releaseClaims(db, claim, claimed.slice(index));
        return sent;
      }
    }
    if (claimed.length < options.batchSize) break;
  }
  return sent;
}

/**
 * Mails the owners of personal tokens that expire within 7 days, and of those that have expired, each once.
 * Safe to run on every instance at once. Does nothing where the server cannot send mail (production without
 * SMTP_URL): nothing is claimed, so the notices go out once mail is configured (if still due).
 */
export async function sendExpiryNotices(db: Database, options: ExpiryNoticeOptions = {}): Promise<ExpiryNoticesSent> {
  if (mailDelivery() === "unavailable") return { warnings: 0, expired: 0 };
  const settings = { batchSize: options.batchSize ?? 100, maxBatches: options.maxBatches ?? 10, signal: options.signal };
  const warnings = await sendNotices(db, "token_expiring", settings);
  const expired = await sendNotices(db, "token_expired", settings);
  return { warnings, expired };
}

/** The background job (src/server/jobs): every 10 minutes, so a notice goes out within minutes of being due. */
export function expiryNoticesJob(): BackgroundJob {
  return {
    name: "token-expiry-notices",
    intervalMs: 10 * 60_000,
    async run({ db, signal }) {
      const sent = await sendExpiryNotices(db, { signal });
      if (sent.warnings + sent.expired > 0) log.info(`Token expiry notices: mailed ${sent.warnings} warnings and ${sent.expired} expiry notices.`);
    },
  };
}
