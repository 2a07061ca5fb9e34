import { env } from "~/env";

/** True when an Origin header names this app (APP_URL's origin). One rule for the proxy and /api/mcp. */
export function isAppOrigin(origin: string): boolean {
  try {
    return new URL(origin).origin === env.APP_URL;
  } catch {
    return false; // "null" (sandboxed frames, file://) and garbage are not us
  }
}
