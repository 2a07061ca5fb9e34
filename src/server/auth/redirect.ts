export const AFTER_SIGN_IN_PATH = "/dashboard/tokens";

/** Request header set by proxy.ts: the path being shown, for the dashboard layout to come back to after sign-in. */
export const PATHNAME_HEADER = "x-pathname";

/** The sign-in page, coming back to `next` (already validated) afterwards; plain /login when that is the dashboard. */
export function signInPath(next: string): string {
  return next === AFTER_SIGN_IN_PATH ? "/login" : `/login?next=${encodeURIComponent(next)}`;
}

export const TWO_FACTOR_PATH = "/login/two-factor";

/**
 * The two-factor step (with a recovery code, `method`), carrying `next` (already validated) in its address only to
 * keep it when the pending sign-in is gone: the live one holds `next` server side. Here, not beside the step's
 * client components, because the step's server page builds these links too.
 */
export function twoFactorPath(next: string, method?: "recovery-code"): string {
  const query = new URLSearchParams();
  if (method) query.set("with", method);
  if (next !== AFTER_SIGN_IN_PATH) query.set("next", next);
  const search = query.toString();
  return search ? `${TWO_FACTOR_PATH}?${search}` : TWO_FACTOR_PATH;
}

/**
 * `next` from a query string, if it is a path on this site; otherwise the dashboard. Rejects absolute and
 * protocol-relative URLs ("//evil.example", "/\evil.example") so sign-in cannot be an open redirect.
 */
export function safeNextPath(next: unknown): string {
  if (typeof next !== "string" || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) {
    return AFTER_SIGN_IN_PATH;
  }
  // Browsers ignore tabs and newlines in URLs, so "/\t/evil.example" is "//evil.example".
  if (/[\u0000-\u001f\u007f\\]/.test(next)) return AFTER_SIGN_IN_PATH;
  try {
    const url = new URL(next, "http://carestral.invalid");
    // Parsing resolves dot segments: "/..//evil.example" comes out as "//evil.example", which a browser
    // reads as another host. Check what we are about to return, not only what came in.
    if (url.origin !== "http://carestral.invalid" || url.pathname.startsWith("//")) return AFTER_SIGN_IN_PATH;
    return `${url.pathname}${url.search}${url.hash}`;
  } catch {
    return AFTER_SIGN_IN_PATH;
  }
}
