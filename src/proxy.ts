import { NextResponse, type NextRequest } from "next/server";
import { env } from "~/env";
import { expiredSessionCookie, readSessionCookie } from "~/server/auth/cookie";
import { PATHNAME_HEADER } from "~/server/auth/redirect";
import { TWO_SESSION_COOKIES_MESSAGE } from "~/server/auth/messages";
import { isAppOrigin } from "~/server/http/origin";
import { redirectUriKind } from "~/server/oauth/redirect-uri";
import { baseSecurityHeaders, contentSecurityPolicy, generateNonce } from "~/server/http/security-headers";
import { log } from "~/server/observability/logger";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * OAuth client endpoints: called by AI clients' own HTTP stacks, without Origin or from another origin by
 * design (RFC 6749 §3.2, RFC 7591, RFC 7009). They take no session cookie, so the CSRF rule is not theirs.
 * Likewise the server-to-server callers of introspection (RFC 7662) and of leaked-token reports.
 */
const OAUTH_CLIENT_PATHS = new Set(["/oauth/token", "/oauth/register", "/oauth/revoke", "/oauth/introspect", "/api/token-leaks"]);

export function proxy(request: NextRequest): NextResponse {
  const { pathname, search } = request.nextUrl;
  // Next.js fails with a 500 decoding a dynamic segment such as /api/trpc/[trpc] that is not valid
  // percent-encoding; it is the client's mistake, so say so.
  if (!isDecodable(pathname)) {
    return withSecurityHeaders(NextResponse.json({ error: "The URL path is not valid percent-encoding." }, { status: 400 }));
  }
  const cookie = readSessionCookie(request.headers.get("cookie"));

  // A second session cookie was planted (e.g. by a same-site page, with Path=/api/trpc): whichever we
  // picked, some part of the app would act for another account than the page shows.
  if (cookie.kind === "several") {
    const refused = withSecurityHeaders(NextResponse.json({ error: TWO_SESSION_COOKIES_MESSAGE }, { status: 400 }));
    // A planted cookie has a narrower Path than ours (Path=/), so that the browser sends it first: clear
    // the session cookie at every narrower path of this URL, and never ours, which would leave the
    // planted one alone in charge.
    for (const path of narrowerPaths(pathname)) refused.headers.append("Set-Cookie", expiredSessionCookie(path));
    return refused;
  }

  if (!SAFE_METHODS.has(request.method) && !OAUTH_CLIENT_PATHS.has(pathname)) {
    // CSRF: every state change must come from our own pages, cookie or not (browsers send Origin on every
    // non-GET fetch and form post). Without a cookie this still stops login CSRF.
    const origin = request.headers.get("origin");
    if (origin === null || !isAppOrigin(origin)) {
      // Usually a page opened at another address than APP_URL (127.0.0.1, a LAN address, another port).
      log.warn(`Refused ${request.method} ${pathname} from Origin ${origin === null ? "(none)" : JSON.stringify(origin.slice(0, 200))}: APP_URL is ${env.APP_URL}.`);
      return withSecurityHeaders(
        NextResponse.json({ error: `Cross-origin request refused: Origin must be this site (${env.APP_URL}).` }, { status: 403 }),
      );
    }
  }

  const hasSession = cookie.kind === "one";
  if (SAFE_METHODS.has(request.method) && isUnder(pathname, "/dashboard") && !hasSession) {
    const login = new URL("/login", request.url);
    login.searchParams.set("next", `${pathname}${search}`);
    return withSecurityHeaders(NextResponse.redirect(login));
  }

  if (pathname === CONSENT_PATH && isInAppNavigation(request)) {
    // The consent page's CSP allows its form to reach the client's redirect URI (consentRedirectSources),
    // and the browser keeps the CSP of the document it loaded: reached by an in-app navigation (after
    // sign-in, sign-up, a server redirect), the page would keep the previous page's CSP and its Allow and
    // Deny would be blocked. Next.js loads the whole document when a navigation fetch gets anything but
    // its own payload, so the consent page is always a document load with its own headers.
    return withSecurityHeaders(
      new NextResponse("The consent page is loaded as a whole document.", {
        status: 200,
        headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" },
      }),
    );
  }

  const headers = new Headers(request.headers);
  // Always ours, whatever the client sent under that name.
  headers.set(PATHNAME_HEADER, `${pathname}${search}`);
  const isApi = isUnder(pathname, "/api");
  let csp: string | undefined;
  if (!isApi) {
    // Next.js reads the nonce from the request's CSP header and puts it on the scripts it renders.
    csp = contentSecurityPolicy({
      nonce: generateNonce(),
      development: env.NODE_ENV === "development",
      formActionSources: consentRedirectSources(pathname, request.nextUrl.searchParams),
    });
    headers.set("Content-Security-Policy", csp);
  }
  const response = withSecurityHeaders(NextResponse.next({ request: { headers } }));
  if (csp) response.headers.set("Content-Security-Policy", csp);
  // The cookie is refreshed (or cleared when dead) only where its session is validated: tRPC's context.
  return response;
}

/**
 * The OAuth consent form's answer redirects to the client's redirect URI, and Chrome applies form-action to
 * that redirect. The page itself refuses (and renders no form for) a redirect URI the client did not
 * register, so allowing the requested one here widens nothing an attacker could use.
 */
const CONSENT_PATH = "/oauth/authorize";

/**
 * A fetch by the page's own scripts (Next.js's router asking for a page's payload, or prefetching it), not a
 * document load: Next.js marks it with the RSC header, and browsers say so in Sec-Fetch-Dest/-Mode.
 */
function isInAppNavigation(request: NextRequest): boolean {
  if (request.headers.has("rsc") || request.headers.has("next-router-prefetch")) return true;
  const dest = request.headers.get("sec-fetch-dest");
  const mode = request.headers.get("sec-fetch-mode");
  return dest === "empty" && mode !== null && mode !== "navigate";
}

function consentRedirectSources(pathname: string, params: URLSearchParams): string[] {
  if (pathname !== CONSENT_PATH) return [];
  const redirectUri = params.get("redirect_uri");
  return redirectUri !== null && redirectUriKind(redirectUri) !== null ? [redirectUri] : [];
}

function withSecurityHeaders(response: NextResponse): NextResponse {
  for (const [name, value] of Object.entries(baseSecurityHeaders())) response.headers.set(name, value);
  return response;
}

/** "/api/trpc/x" → "/api", "/api/", "/api/trpc", "/api/trpc/", "/api/trpc/x" (a few levels at most). */
function narrowerPaths(pathname: string): string[] {
  const segments = pathname.split("/").filter(Boolean).slice(0, 4);
  const paths: string[] = [];
  for (let depth = 1; depth <= segments.length; depth++) {
    const path = `/${segments.slice(0, depth).join("/")}`;
    paths.push(path, `${path}/`);
  }
  return paths.filter((path) => /^[\x21-\x3a\x3c-\x7e]+$/.test(path));
}

function isDecodable(pathname: string): boolean {
  try {
    decodeURIComponent(pathname);
    return true;
  } catch {
    return false;
  }
}

function isUnder(pathname: string, prefix: string): boolean {
  return pathname === prefix || pathname.startsWith(`${prefix}/`);
}

export const config = {
  // Everything but build assets and /api/mcp: the Origin check must see every route, pages and server
  // actions included. /api/mcp applies its own Origin and size rules, and a proxy in front of it would make
  // Next.js buffer the whole request body before the handler could refuse an oversize one with 413.
  matcher: ["/((?!_next/static|_next/image|favicon.ico|api/mcp(?:/|$)).*)"],
};
