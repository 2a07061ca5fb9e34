/**
 * The client's address for rate limiting. `next start` sets X-Forwarded-For to the socket address only
 * when the header is absent, and a reverse proxy appends the address it saw. So the last entry is the
 * one the nearest proxy vouches for; earlier entries are whatever the client claimed.
 */
export function clientIpFromHeaders(headers: Headers): string {
  const forwarded = headers.get("x-forwarded-for");
  const last = forwarded?.split(",").at(-1)?.trim();
  if (last) return last;
  return headers.get("x-real-ip")?.trim() || "unknown";
}
