// Redirect URI rules for OAuth clients (MCP authorization, security considerations; RFC 8252; OAuth 2.1 §2.3.1).
// The one rule for both kinds of client: registered ones (DCR) and those with a metadata document (CIMD).

/** The loopback interface's names (RFC 8252 §7.3); `localhost` never stands for `127.0.0.1`. */
export const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(["localhost", "127.0.0.1", "[::1]"]);
export const MAX_REDIRECT_URI_LENGTH = 2048;
// Schemes a native app may not claim as "private-use" (RFC 8252 §7.1): they would hand the code to a browser,
// run it, read it locally or send it to another program.
const FORBIDDEN_SCHEMES = new Set([
  "http:",
  "https:",
  "javascript:",
  "data:",
  "vbscript:",
  "file:",
  "filesystem:",
  "blob:",
  "about:",
  "ws:",
  "wss:",
  "ftp:",
  "mailto:",
  "tel:",
]);

export type RedirectUriKind = "https" | "loopback" | "private-use";

/**
 * What kind of redirect URI this is, or null when a client may not use it: https anywhere, plain http only on a
 * loopback host (RFC 8252 §7.3), or a private-use scheme such as `cursor://` (RFC 8252 §7.1). Never a fragment
 * (RFC 6749 §3.1.2), credentials, whitespace, a control character or a backslash (the URL parser would silently
 * drop or rewrite them, and the URI is compared byte for byte), nor longer than 2048 characters.
 */
export function redirectUriKind(uri: string): RedirectUriKind | null {
  if (uri.length > MAX_REDIRECT_URI_LENGTH || /[\s\u0000-\u001f\u007f\\#]/.test(uri)) return null;
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return null;
  }
  if (url.username || url.password) return null;
  if (url.protocol === "https:") return url.hostname ? "https" : null;
  if (url.protocol === "http:") return LOOPBACK_HOSTS.has(url.hostname) ? "loopback" : null;
  if (FORBIDDEN_SCHEMES.has(url.protocol) || !/^[a-z][a-z0-9+.-]*:$/.test(url.protocol)) return null;
  return "private-use";
}

/**
 * Does the redirect URI of a request match one the client registered? Exactly, character for character,
 * except for loopback URIs, where the port is ignored (RFC 8252 §7.3): native clients listen on whatever
 * port is free, and some register a portless URI (Claude Code) or a fixed one they cannot always get
 * (VS Code's 33418). Scheme, host, path and query must still match, and `localhost` never stands for `127.0.0.1`.
 */
export function redirectUriMatches(registered: readonly string[], requested: string): boolean {
  if (registered.includes(requested)) return true;
  if (redirectUriKind(requested) !== "loopback") return false;
  const wanted = withoutPort(requested);
  return registered.some((uri) => redirectUriKind(uri) === "loopback" && withoutPort(uri) === wanted);
}

function withoutPort(uri: string): string {
  const url = new URL(uri);
  return `${url.protocol}//${url.hostname}${url.pathname}${url.search}`;
}

/** What the consent page shows as "sends you back to": the host, or the scheme of a private-use URI. */
export function redirectUriDisplay(uri: string): string {
  const url = new URL(uri);
  if (url.protocol === "https:" || url.protocol === "http:") return url.host;
  return `${url.protocol}//${url.host}`;
}
