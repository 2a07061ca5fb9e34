import type { Database } from "~/server/db/client";
import { verifyPasskeyAssertion, type AssertionResponse } from "./passkeys";
// Renamed: a "use" prefix reads as a React hook to the linter.
import { useRecoveryCode as spendRecoveryCode, verifyTotpCode, type CodeRefusal } from "./second-factor";
import { looksLikeRecoveryCode } from "./recovery-codes";
import type { TokenScope } from "~/server/tokens/scopes";
import { verifyUserPassword } from "./credentials";
import { markSessionVerified, type Session } from "./session";

// Sudo mode, as GitHub has it: the most powerful changes (a token or an app that can book, a new secret, the
// password, the account itself, a second factor off) need a check of who holds the session within the last
// 10 minutes, so that a session left open on a shared computer, or a stolen cookie, cannot make them alone.
// Signing in or up counts as a check (createSession); the Confirm access prompt is the other way.

export const SUDO_DURATION_MS = 10 * 60 * 1000;

/** Scopes that make a token or an app as strong as the session (book and cancel): granting one needs sudo mode. */
export const SUDO_SCOPES: readonly TokenScope[] = ["write:bookings"];

export function scopesNeedSudo(scopes: readonly string[]): boolean {
  return SUDO_SCOPES.some((scope) => scopes.includes(scope));
}

export const SUDO_REQUIRED_MESSAGE =
  "Confirm access to continue: this change needs you to confirm it is you (your password, a passkey or an authenticator code; asked at most every 10 minutes).";

/**
 * Thrown (as a tRPC FORBIDDEN's cause, or caught by a route) when a sensitive change comes from a session
 * without a recent check. The browser recognises it (data.sudoRequired), asks, and sends the change again.
 */
export class SudoRequiredError extends Error {
  constructor() {
    super(SUDO_REQUIRED_MESSAGE);
    this.name = "SudoRequiredError";
  }
}

/** How long the session stays in sudo mode, in milliseconds; 0 when it is not in it. */
export function sudoRemainingMs(session: Pick<Session, "lastVerifiedAt">, now: Date = new Date()): number {
  if (!session.lastVerifiedAt) return 0;
  return Math.max(0, session.lastVerifiedAt.getTime() + SUDO_DURATION_MS - now.getTime());
}

export function hasSudo(session: Pick<Session, "lastVerifiedAt">, now: Date = new Date()): boolean {
  return sudoRemainingMs(session, now) > 0;
}

/**
 * The Confirm access prompt with a password: right, and the session is in sudo mode for the next 10 minutes
 * from now; wrong, and nothing changes. The caller limits attempts first (as sign-in's).
 */
export async function confirmAccessWithPassword(
  db: Database,
  params: { session: Pick<Session, "id" | "userId">; password: string; clientIp?: string },
): Promise<boolean> {
  if (!(await verifyUserPassword(db, params.session.userId, params.password, params.clientIp))) return false;
  await markSessionVerified(db, params.session.id);
  return true;
}

/**
 * The Confirm access prompt with one of the account's passkeys: an assertion to a challenge made for
 * "reauthentication" and this account (single use, 5 minutes). Verified, the session is in sudo mode for the
 * next 10 minutes; refused, a DomainError says why and nothing changes.
 */
export async function confirmAccessWithPasskey(db: Database, params: { session: Pick<Session, "id" | "userId">; response: AssertionResponse }): Promise<void> {
  await verifyPasskeyAssertion(db, { purpose: "reauthentication", userId: params.session.userId, response: params.response });
  await markSessionVerified(db, params.session.id);
}

/** Confirmed with a code: `recoveryCodesLeft` when it was a recovery code (spent now), null for the app's code. */
export type CodeConfirmation = { ok: true; recoveryCodesLeft: number | null } | CodeRefusal;

/**
 * The Confirm access prompt with a code from the account's authenticator app, or one of its recovery codes (as
 * GitHub allows: whoever can sign in with it can confirm with it). The same rules as the two-factor step of
 * signing in: an app code is accepted once, a recovery code is spent, and attempts count against the account's
 * 5 per 15 minutes shared with sign-in, so the prompt is no side door for guessing codes. Accepted, the
 * session is in sudo mode for the next 10 minutes; refused, nothing changes.
 */
export async function confirmAccessWithCode(
  db: Database,
  params: { session: Pick<Session, "id" | "userId">; code: string; now?: Date },
): Promise<CodeConfirmation> {
  const { session, code, now = new Date() } = params;
  let recoveryCodesLeft: number | null = null;
  if (looksLikeRecoveryCode(code)) {
    const used = await spendRecoveryCode(db, session.userId, code, now);
    if (!used.ok) return used;
    recoveryCodesLeft = used.left;
  } else {
    const check = await verifyTotpCode(db, session.userId, code, now);
    if (!check.ok) return check;
  }
  await markSessionVerified(db, session.id);
  return { ok: true, recoveryCodesLeft };
}
