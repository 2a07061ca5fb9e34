import "server-only";
import { env } from "~/env";
import { log } from "~/server/observability/logger";

/**
 * The origin a browser used to reach this request, from the Host a proxy forwarded or the one it sent.
 * Browsers send this origin on every form post and fetch, so when it is not APP_URL the Origin check
 * (src/proxy.ts) refuses sign-in and every change: better to say so before someone tries.
 */
export function requestOrigin(headers: Headers): string | null {
  const host = firstValue(headers.get("x-forwarded-host")) ?? headers.get("host");
  if (!host) return null;
  const protocol = firstValue(headers.get("x-forwarded-proto")) ?? new URL(env.APP_URL).protocol.replace(":", "");
  try {
    return new URL(`${protocol}://${host}`).origin;
  } catch {
    return null;
  }
}

function firstValue(header: string | null): string | undefined {
  return header?.split(",")[0]?.trim() || undefined;
}

const reported = new Set<string>();

/** The request's origin when it is not APP_URL (logged once per origin and instance), else null. */
export function foreignRequestOrigin(headers: Headers): string | null {
  const origin = requestOrigin(headers);
  if (!origin || origin === env.APP_URL) return null;
  if (!reported.has(origin) && reported.size < 100) {
    reported.add(origin);
    log.warn(
      `Carestral: a page was opened at ${origin}, but APP_URL is ${env.APP_URL}. Sign-in and changes from ${origin} ` +
        `are refused by the Origin check: open ${env.APP_URL}, or set APP_URL to the address people use.`,
    );
  }
  return origin;
}
