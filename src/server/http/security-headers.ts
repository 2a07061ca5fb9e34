import { env } from "~/env";

// Response headers for every page (proxy.ts) and, without the CSP, for the APIs.

export interface ContentSecurityPolicyOptions {
  /** The per-request nonce Next.js puts on its own scripts (node_modules/next/dist/docs, "Content Security Policy"). */
  nonce: string;
  /**
   * Where a form on the page may be sent besides our own origin, including where its answer redirects
   * to: Chrome applies form-action to the redirect too, so the OAuth consent form needs the client's
   * redirect URI here.
   */
  formActionSources?: string[];
  /** next dev: React rebuilds error stacks with eval, and its HMR needs it. Never in production. */
  development?: boolean;
}

/** The Content-Security-Policy value of a page. The one place the policy is written. */
export function contentSecurityPolicy(options: ContentSecurityPolicyOptions): string {
  const formAction = ["'self'", ...(options.formActionSources ?? []).map(cspSource)];
  const directives = [
    "default-src 'self'",
    `script-src 'self' 'nonce-${options.nonce}' 'strict-dynamic'${options.development ? " 'unsafe-eval'" : ""}`,
    // Styles cannot run code; React's style attributes need 'unsafe-inline' (a nonce would disable it).
    "style-src 'self' 'unsafe-inline'",
    // Workers, the offline page's service worker (public/sw.js) among them, from our origin only. Without
    // this they fall back to script-src, whose 'strict-dynamic' ignores 'self' and allows any script that
    // one of ours loads, from anywhere.
    "worker-src 'self'",
    "img-src 'self' blob: data:",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    `form-action ${formAction.join(" ")}`,
    "frame-ancestors 'none'",
  ];
  if (isHttps()) directives.push("upgrade-insecure-requests");
  return directives.join("; ");
}

/** A nonce for one response: 128 random bits, base64. */
export function generateNonce(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return btoa(String.fromCharCode(...bytes));
}

/** Headers every answer gets, pages and APIs alike. */
export function baseSecurityHeaders(): Record<string, string> {
  const headers: Record<string, string> = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
    // For browsers that predate frame-ancestors.
    "X-Frame-Options": "DENY",
  };
  if (isHttps()) headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains";
  return headers;
}

/** A source expression for a URL: its origin plus path (CSP matches paths too), without query or fragment. */
function cspSource(url: string): string {
  const parsed = new URL(url);
  // Custom schemes (a native app's redirect URI) are allowed by scheme alone.
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return parsed.protocol;
  return `${parsed.origin}${parsed.pathname}`.replace(/[;,\s]/g, encodeURIComponent);
}

function isHttps(): boolean {
  return env.APP_URL.startsWith("https:");
}
