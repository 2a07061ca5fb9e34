import { env } from "~/env";

// Lax keeps the cookie on top-level navigations from other sites (links into the dashboard) but not on
// their cross-site POSTs; the Origin check in proxy.ts covers the rest.
const secure = env.APP_URL.startsWith("https:");

/**
 * Under https the name carries the __Host- prefix: browsers then accept the cookie only with Secure,
 * Path=/ and no Domain, so a sibling subdomain cannot plant one of its own (RFC 6265bis §4.1.3.2).
 */
export const SESSION_COOKIE_NAME = secure ? "__Host-carestral_session" : "carestral_session";

/** What the Cookie header says about the session: the one place that reads it (proxy, tRPC, pages). */
export type SessionCookie =
  | { kind: "none" }
  | { kind: "one"; token: string }
  /** Two or more cookies by that name: one was planted (e.g. with a narrower Path); refuse the request. */
  | { kind: "several" };

/** Session tokens are 20 random bytes in lower-case base32 (session.ts). Anything else is not one of ours. */
const SESSION_TOKEN_PATTERN = /^[a-z2-7]{32}$/;

/**
 * Reads the session cookie from a Cookie header. Names are compared after trimming spaces and tabs, as
 * browsers and other parsers do, so "\tcarestral_session" counts too. Values are never percent-decoded,
 * and one that is not a well-formed token counts as present but invalid (token: "").
 */
export function readSessionCookie(cookieHeader: string | null | undefined): SessionCookie {
  if (!cookieHeader) return { kind: "none" };
  let found: string | undefined;
  for (const part of cookieHeader.split(";")) {
    const separator = part.indexOf("=");
    const name = (separator === -1 ? part : part.slice(0, separator)).replace(/^[ \t]+|[ \t]+$/g, "");
    if (name !== SESSION_COOKIE_NAME) continue;
    if (found !== undefined) return { kind: "several" };
    found = separator === -1 ? "" : part.slice(separator + 1).replace(/^[ \t]+|[ \t]+$/g, "");
  }
  if (found === undefined) return { kind: "none" };
  return { kind: "one", token: SESSION_TOKEN_PATTERN.test(found) ? found : "" };
}

function serialize(value: string, maxAgeSeconds: number, path = "/"): string {
  const attributes = [`${SESSION_COOKIE_NAME}=${value}`, "HttpOnly", "SameSite=Lax", `Path=${path}`, `Max-Age=${maxAgeSeconds}`];
  if (secure) attributes.push("Secure");
  return attributes.join("; ");
}

/** Set-Cookie value for a session token that lives until `expiresAt`. Only ever given a token we made. */
export function sessionCookie(token: string, expiresAt: Date, now: number = Date.now()): string {
  if (!SESSION_TOKEN_PATTERN.test(token)) throw new Error("not a session token");
  return serialize(token, Math.max(0, Math.floor((expiresAt.getTime() - now) / 1000)));
}

/** Set-Cookie value that deletes the cookie (at Path=/ unless told another path, given without ";"). */
export function expiredSessionCookie(path = "/"): string {
  if (!/^\/[\x21-\x3a\x3c-\x7e]*$/.test(path)) throw new Error("not a cookie path");
  return serialize("", 0, path);
}

// The device cookie: a long-lived random value that lets a browser be recognised at sign-in, so a sign-in from any
// other is mailed to the account's owner (known-devices.ts). It grants nothing on its own.
export const DEVICE_COOKIE_NAME = secure ? "__Host-carestral_device" : "carestral_device";
/** Browsers keep a cookie at most 400 days (RFC 6265bis §5.6.1); each sign-in renews it. */
export const DEVICE_COOKIE_MAX_AGE_SECONDS = 400 * 24 * 60 * 60;

/** The device cookie's value when the request carries exactly one well-formed one; null otherwise. */
export function readDeviceCookie(cookieHeader: string | null | undefined): string | null {
  const values = (cookieHeader ?? "")
    .split(";")
    .map((part) => part.split("="))
    .filter(([name]) => name?.replace(/^[ \t]+|[ \t]+$/g, "") === DEVICE_COOKIE_NAME)
    .map(([, value = ""]) => value.replace(/^[ \t]+|[ \t]+$/g, ""));
  const [value] = values;
  return values.length === 1 && value !== undefined && SESSION_TOKEN_PATTERN.test(value) ? value : null;
}

/** Set-Cookie value for a device token (made like a session token: 20 random bytes, base32). */
export function deviceCookie(token: string): string {
  if (!SESSION_TOKEN_PATTERN.test(token)) throw new Error("not a device token");
  const attributes = [`${DEVICE_COOKIE_NAME}=${token}`, "HttpOnly", "SameSite=Lax", "Path=/", `Max-Age=${DEVICE_COOKIE_MAX_AGE_SECONDS}`];
  if (secure) attributes.push("Secure");
  return attributes.join("; ");
}

/**
 * The sign-in waiting for its second factor (pending-sign-in.ts): same token shape and attributes as the session
 * cookie, its own name, and short-lived. It grants nothing on its own: only the two-factor step reads it.
 */
export const PENDING_SIGN_IN_COOKIE_NAME = secure ? "__Host-carestral_two_factor" : "carestral_two_factor";

/** The pending sign-in token of a request with exactly one well-formed such cookie; null otherwise. */
export function pendingSignInTokenFromCookieHeader(cookieHeader: string | null | undefined): string | null {
  if (!cookieHeader) return null;
  const values = cookieHeader
    .split(";")
    .map((part) => part.split("="))
    .filter(([name]) => name?.replace(/^[ \t]+|[ \t]+$/g, "") === PENDING_SIGN_IN_COOKIE_NAME)
    .map(([, value = ""]) => value.replace(/^[ \t]+|[ \t]+$/g, ""));
  const [value] = values;
  return values.length === 1 && value !== undefined && SESSION_TOKEN_PATTERN.test(value) ? value : null;
}

export function pendingSignInCookie(token: string, maxAgeSeconds: number): string {
  if (!SESSION_TOKEN_PATTERN.test(token)) throw new Error("not a pending sign-in token");
  const attributes = [`${PENDING_SIGN_IN_COOKIE_NAME}=${token}`, "HttpOnly", "SameSite=Lax", "Path=/", `Max-Age=${maxAgeSeconds}`];
  if (secure) attributes.push("Secure");
  return attributes.join("; ");
}

export function expiredPendingSignInCookie(): string {
  const attributes = [`${PENDING_SIGN_IN_COOKIE_NAME}=`, "HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=0"];
  if (secure) attributes.push("Secure");
  return attributes.join("; ");
}
