import { NextResponse, type NextRequest } from "next/server";
import { env } from "~/env";
import { refreshedSessionCookie } from "~/server/auth/cookie";
import { PATHNAME_HEADER } from "~/server/auth/redirect";
import { isAppOrigin } from "~/server/http/origin";
import { SESSION_COOKIE_NAME } from "~/server/auth/session";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export function proxy(request: NextRequest): NextResponse {
  const { pathname, search } = request.nextUrl;
  const token = request.cookies.get(SESSION_COOKIE_NAME)?.value;
  // Always ours, whatever the client sent under that name.
  const headers = new Headers(request.headers);
  headers.set(PATHNAME_HEADER, `${pathname}${search}`);

  if (!SAFE_METHODS.has(request.method)) {
    const origin = request.headers.get("origin");
    // CSRF: a cookie-carrying state change must come from our own pages (browsers send Origin on
    // every non-GET fetch and form post). A foreign Origin is refused even without a cookie, so another
    // site cannot sign a visitor into an account of its choosing (login CSRF).
    if (origin === null ? Boolean(token) : !isAppOrigin(origin)) {
      // Usually a page opened at another address than APP_URL (127.0.0.1, a LAN address, another port).
      console.warn(`Refused ${request.method} ${pathname} from Origin ${origin ?? "(none)"}: APP_URL is ${env.APP_URL}.`);
      return NextResponse.json(
        { error: `Cross-origin request refused: Origin must be this site (${env.APP_URL}).` },
        { status: 403 },
      );
    }
    return NextResponse.next({ request: { headers } });
  }

  if (isUnder(pathname, "/dashboard") && !token) {
    const login = new URL("/login", request.url);
    login.searchParams.set("next", `${pathname}${search}`);
    return NextResponse.redirect(login);
  }

  const response = NextResponse.next({ request: { headers } });
  // The session row slides forward when used; keep the browser's cookie alive alongside it (Lucia guide).
  if (token && request.method === "GET") response.headers.append("Set-Cookie", refreshedSessionCookie(token));
  return response;
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
