import { env } from "~/env";
import { SESSION_COOKIE_NAME, SESSION_DURATION_MS } from "./session";

// Lax keeps the cookie on top-level navigations from other sites (links into the dashboard) but not on
// their cross-site POSTs; the Origin check in proxy.ts covers the rest.
const secure = env.APP_URL.startsWith("https:");

function serialize(value: string, maxAgeSeconds: number): string {
  const attributes = [`${SESSION_COOKIE_NAME}=${value}`, "HttpOnly", "SameSite=Lax", "Path=/", `Max-Age=${maxAgeSeconds}`];
  if (secure) attributes.push("Secure");
  return attributes.join("; ");
}

/** Set-Cookie value for a session token that lives until `expiresAt`. */
export function sessionCookie(token: string, expiresAt: Date, now: number = Date.now()): string {
  return serialize(token, Math.max(0, Math.floor((expiresAt.getTime() - now) / 1000)));
}

/** Set-Cookie value that renews the cookie's lifetime: the session row slides server side on use. */
export function refreshedSessionCookie(token: string): string {
  return serialize(token, Math.floor(SESSION_DURATION_MS / 1000));
}

/** Set-Cookie value that deletes the cookie. */
export function expiredSessionCookie(): string {
  return serialize("", 0);
}
