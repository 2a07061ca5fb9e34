// Which client_id is a Client ID Metadata Document URL (draft-ietf-oauth-client-id-metadata-document §3).

const MAX_CLIENT_ID_LENGTH = 2048;

/**
 * Whether `clientId` is a Client ID Metadata Document URL this server will fetch (draft §3): https,
 * default port 443, a path other than "/", no fragment, no userinfo, no dot segments. The raw string is
 * checked too, because the URL parser silently drops whitespace, rewrites "\" and resolves dot segments,
 * and the document must name the client_id byte for byte. An IP-literal host is allowed here and refused
 * later unless it is a public address.
 */
export function parseClientIdUrl(clientId: string): URL | null {
  if (clientId.length > MAX_CLIENT_ID_LENGTH || !clientId.startsWith("https://")) return null;
  // Whitespace, controls, backslashes and fragments never survive the parser unchanged.
  if (/[\s\u0000-\u001f\u007f\\#]/.test(clientId)) return null;

  const rest = clientId.slice("https://".length);
  const authorityEnd = rest.search(/[/?]/);
  const authority = authorityEnd === -1 ? rest : rest.slice(0, authorityEnd);
  if (authority.includes("@")) return null;
  const rawPath = authorityEnd === -1 ? "" : rest.slice(authorityEnd).split("?")[0] ?? "";
  const hasDotSegment = rawPath
    .split("/")
    .some((segment) => /^(\.|%2e){1,2}$/i.test(segment));
  if (hasDotSegment) return null;

  let url: URL;
  try {
    url = new URL(clientId);
  } catch {
    return null;
  }
  if (url.protocol !== "https:" || url.username !== "" || url.password !== "" || url.hash !== "") return null;
  // The parser elides the default port, so "" covers both "no port" and an explicit ":443".
  if (url.port !== "" || url.hostname === "") return null;
  if (url.pathname === "" || url.pathname === "/") return null;
  return url;
}
