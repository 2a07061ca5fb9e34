import { eq } from "drizzle-orm";
import { env } from "~/env";
import { DEFAULT_TIME_ZONE } from "~/server/account/time-zone";
import { clientIpFromHeaders } from "~/server/auth/client-ip";
import { describeDevice } from "~/server/auth/device";
import type { Database } from "~/server/db/client";
import { users } from "~/server/db/schema";
import { describeError } from "~/server/describe-error";
import { log } from "~/server/observability/logger";
import { mailDelivery, sendMail, type MailMessage } from "./mailer";
import { composeMail } from "./templates";

// Security notices (issue 22): mail that tells the account's owner something changed, when, from where, and
// what to do if it was not them. They carry no secret (no token, no link that grants anything), so printing
// them to the development log is harmless; a server that cannot send mail (production without SMTP_URL)
// skips them, and nothing else depends on them.

/** Where a change came from: the client's address and its User-Agent, as the request showed them. */
export interface RequestOrigin {
  ip: string;
  userAgent: string | null;
}

export function requestOrigin(headers: Headers): RequestOrigin {
  return { ip: clientIpFromHeaders(headers), userAgent: headers.get("user-agent") };
}

export type SecondFactorMethod = "authenticator_app" | "passkey" | "recovery_codes";

export type SecurityEvent =
  | { kind: "token_created"; tokenId: string; tokenName: string; scopes: readonly string[]; expiresAt: Date | null }
  | { kind: "app_connected"; clientName: string; clientHost: string | null; scopes: readonly string[] }
  | { kind: "token_expiring"; tokenId: string; tokenName: string; expiresAt: Date }
  | { kind: "token_expired"; tokenId: string; tokenName: string; expiredAt: Date }
  | { kind: "password_changed" }
  | { kind: "password_reset" }
  /** `name`: a passkey's name. */
  | { kind: "second_factor_added"; method: SecondFactorMethod; name?: string }
  /** `twoFactorOff`: this was the last factor, so the password alone signs in now. */
  | { kind: "second_factor_removed"; method: SecondFactorMethod; name?: string; twoFactorOff: boolean }
  | { kind: "new_device_sign_in" }
  /** Mailed to the address left behind (`from`): the account's own row already holds the new one. */
  | { kind: "email_changed"; from: string; to: string };

export interface SecurityMailRecipient {
  email: string;
  firstname: string;
  /** The IANA zone the person reads times in (users.time_zone); null until their browser told us: UTC then, labelled, as on the dashboard. */
  timeZone: string | null;
}

/** "Dec 4, 2026, 18:14 GMT+1 (Europe/Paris)": an unambiguous moment whoever reads it and wherever. */
export function formatMailTime(at: Date, timeZone: string | null): string {
  const format = (zone: string) =>
    new Intl.DateTimeFormat("en", {
      year: "numeric",
      month: "short",
      day: "numeric",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
      timeZone: zone,
      timeZoneName: "shortOffset",
    }).format(at);
  try {
    return `${format(timeZone ?? DEFAULT_TIME_ZONE)} (${timeZone ?? DEFAULT_TIME_ZONE})`;
  } catch {
    // A zone this runtime does not know: UTC rather than no mail.
    return `${format(DEFAULT_TIME_ZONE)} (${DEFAULT_TIME_ZONE})`;
  }
}

const METHOD_NAMES: Record<SecondFactorMethod, string> = {
  authenticator_app: "An authenticator app",
  passkey: "A passkey",
  recovery_codes: "A set of recovery codes",
};

function methodName(method: SecondFactorMethod, name: string | undefined): string {
  return method === "passkey" && name ? `The passkey "${name}"` : (METHOD_NAMES[method] ?? "A second factor");
}

function scopeList(scopes: readonly string[]): string {
  return scopes.length > 0 ? scopes.join(", ") : "none";
}

/** What to do when a change was not the owner's: someone else is in, or has the password. */
const SECURE_ACCOUNT =
  "Then choose Sign out everywhere else under Sessions in your account settings, and change your password. " +
  `If you cannot sign in, reset your password at ${env.APP_URL}/forgot-password: that ends every session, token and connected app.`;

interface Wording {
  subject: string;
  happened: string[];
  action: string;
  path: string;
  after: string[];
}

function wordingFor(event: SecurityEvent, recipient: SecurityMailRecipient, at: Date): Wording {
  switch (event.kind) {
    case "token_created":
      return {
        subject: "A new token was created for your Carestral account",
        happened: [
          `A personal access token named "${event.tokenName}" was created for your Carestral account.`,
          `It may use: ${scopeList(event.scopes)}. It ${event.expiresAt ? `expires on ${formatMailTime(event.expiresAt, recipient.timeZone)}` : "never expires"}.`,
        ],
        action: "See the token",
        path: `/dashboard/tokens/${event.tokenId}`,
        after: ["If this was not you, someone else is signed in to your account: revoke the token on its page at once.", SECURE_ACCOUNT],
      };
    case "app_connected":
      return {
        subject: "An app was connected to your Carestral account",
        happened: [
          `"${event.clientName}"${event.clientHost ? ` (${event.clientHost})` : " (its name is unverified)"} was allowed to use your Carestral account.`,
          `It may use: ${scopeList(event.scopes)}, until you revoke its access.`,
        ],
        action: "See your connected apps",
        path: "/dashboard/tokens",
        after: ["If this was not you, someone else is signed in to your account: choose Revoke access beside the app under Connected apps at once.", SECURE_ACCOUNT],
      };
    case "token_expiring": {
      const days = Math.max(1, Math.ceil((event.expiresAt.getTime() - at.getTime()) / 86_400_000));
      return {
        subject: "A Carestral token of yours expires soon",
        happened: [
          `Your Carestral token "${event.tokenName}" expires on ${formatMailTime(event.expiresAt, recipient.timeZone)}, in ${days} day${days === 1 ? "" : "s"}.`,
          "After that, whatever uses it (an AI client, a script) is refused.",
        ],
        action: "Regenerate or review the token",
        path: `/dashboard/tokens/${event.tokenId}`,
        after: [
          "To keep it working, open its page and choose Regenerate (a new secret with the same name and scopes) or Change expiration. If you no longer use it, there is nothing to do.",
        ],
      };
    }
    case "token_expired":
      return {
        subject: "A Carestral token of yours has expired",
        happened: [
          `Your Carestral token "${event.tokenName}" expired on ${formatMailTime(event.expiredAt, recipient.timeZone)}.`,
          "Whatever used it (an AI client, a script) is now refused.",
        ],
        action: "Regenerate or review the token",
        path: `/dashboard/tokens/${event.tokenId}`,
        after: ["If you still need it, open its page and choose Regenerate for a new secret with the same name and scopes. Otherwise there is nothing to do."],
      };
    case "password_changed":
      return {
        subject: "Your Carestral password was changed",
        happened: ["The password of your Carestral account was changed. Every other session was signed out."],
        action: "Reset your password",
        path: "/forgot-password",
        after: [
          "If this was you, there is nothing to do.",
          "If this was not you, someone has your password: reset it with the link above, which signs everyone out and revokes every token and connected app.",
        ],
      };
    case "password_reset":
      return {
        subject: "Your Carestral password was reset",
        happened: [
          "The password of your Carestral account was reset through a link mailed to this address. Every session was signed out, and every token and connected app was revoked.",
        ],
        action: "Reset your password",
        path: "/forgot-password",
        after: [
          "If this was you, there is nothing to do.",
          "If this was not you, someone can read this mailbox: secure your email account first, then reset your Carestral password again with the link above.",
        ],
      };
    case "second_factor_added":
      return {
        subject: "A second factor was added to your Carestral account",
        happened: [`${methodName(event.method, event.name)} was added to your Carestral account as a second factor for signing in.`],
        action: "Review your account security",
        path: "/settings",
        after: ["If this was not you, someone else is signed in to your account: remove it under Two-factor authentication in your account settings.", SECURE_ACCOUNT],
      };
    case "second_factor_removed":
      return {
        subject: event.twoFactorOff
          ? "Two-factor authentication was turned off for your Carestral account"
          : "A second factor was removed from your Carestral account",
        happened: [
          `${methodName(event.method, event.name)} was removed from your Carestral account.`,
          ...(event.twoFactorOff ? ["It was the last second factor: your password alone now signs in."] : []),
        ],
        action: "Review your account security",
        path: "/settings",
        after: ["If this was not you, someone else is signed in to your account: set up two-factor authentication again in your account settings.", SECURE_ACCOUNT],
      };
    case "email_changed":
      return {
        subject: "The email address of your Carestral account was changed",
        happened: [
          `The email address of your Carestral account was changed from ${event.from} to ${event.to}, confirmed by a link mailed to the new address.`,
          "Account mail now goes to the new address, and this one no longer signs in.",
        ],
        action: "Review your account",
        path: "/settings",
        after: [
          "If this was you, there is nothing to do.",
          "If this was not you, someone else was in your account: sign in with the new address above and your password, change the email back under Email address in your account settings, then choose Sign out everywhere else and change your password. If you cannot sign in, contact the administrator of this Carestral server with this email.",
        ],
      };
    case "new_device_sign_in":
      return {
        subject: "New sign-in to your Carestral account",
        happened: ["Your Carestral account was signed in to from a device or browser it has not been used from before."],
        action: "Review your sessions",
        path: "/settings",
        after: ["If this was you, there is nothing to do. If this was not you, someone else has your password: end that session under Sessions in your account settings.", SECURE_ACCOUNT],
      };
  }
}

/** Composes the mail for `event`: what happened, when (in the person's zone), from where, what to do, and a link. */
export function composeSecurityMail(
  event: SecurityEvent,
  recipient: SecurityMailRecipient,
  context: { at: Date; origin: RequestOrigin | null },
): MailMessage {
  const wording = wordingFor(event, recipient, context.at);
  const where = context.origin
    ? [`From: ${describeDevice(context.origin.userAgent)}, IP address ${context.origin.ip === "unknown" ? "unknown" : context.origin.ip}.`]
    : [];
  return composeMail({
    to: recipient.email,
    firstname: recipient.firstname,
    subject: wording.subject,
    lines: [...wording.happened, `When: ${formatMailTime(context.at, recipient.timeZone)}.`, ...where],
    action: wording.action,
    link: `${env.APP_URL}${wording.path}`,
    after: wording.after,
  });
}

/**
 * Mails the account's owner about `event`. False when nothing was sent: the account is gone, or this server
 * cannot send mail (production without SMTP_URL). Throws when sending fails.
 */
export async function sendSecurityMail(
  db: Database,
  userId: string,
  event: SecurityEvent,
  context: { at?: Date; origin: RequestOrigin | null },
): Promise<boolean> {
  if (mailDelivery() === "unavailable") return false;
  const [recipient] = await db
    .select({ email: users.email, firstname: users.firstname, timeZone: users.timeZone })
    .from(users)
    .where(eq(users.id, userId));
  if (!recipient) return false;
  // A change of address is told to the address left behind, which is the one that needs to know.
  if (event.kind === "email_changed") recipient.email = event.from;
  await sendMail(composeSecurityMail(event, recipient, { at: context.at ?? new Date(), origin: context.origin }));
  return true;
}

/**
 * What request handlers call, without awaiting (`void notifySecurityEvent(…)`): the mail goes after the
 * response, and a failure is logged (never the address or the mail), not thrown: the change it reports
 * has happened either way. The promise settles once the mail is sent or given up.
 */
export async function notifySecurityEvent(db: Database, userId: string, event: SecurityEvent, origin: RequestOrigin | null): Promise<void> {
  const at = new Date();
  try {
    await sendSecurityMail(db, userId, event, { at, origin });
  } catch (error) {
    log.error(`Security mail (${event.kind}) could not be sent: ${describeError(error)}`);
  }
}

/** For the second-factor code: a factor was added (`name`: a passkey's). */
export function notifySecondFactorAdded(
  db: Database,
  userId: string,
  factor: { method: SecondFactorMethod; name?: string },
  origin: RequestOrigin | null,
): Promise<void> {
  return notifySecurityEvent(db, userId, { kind: "second_factor_added", ...factor }, origin);
}

/** For the second-factor code: a factor was removed; `twoFactorOff` when it was the last one. */
export function notifySecondFactorRemoved(
  db: Database,
  userId: string,
  factor: { method: SecondFactorMethod; name?: string; twoFactorOff: boolean },
  origin: RequestOrigin | null,
): Promise<void> {
  return notifySecurityEvent(db, userId, { kind: "second_factor_removed", ...factor }, origin);
}
