import { createTRPCClient, httpLink, type TRPCClient } from "@trpc/client";
import superjson from "superjson";
import type { AppRouter } from "~/server/api/root";
import { SESSION_COOKIE_NAME } from "~/server/auth/cookie";
import { sudoLink } from "~/trpc/sudo-link";
import { linkIn, type TestMailServer } from "./mail-server";

/** The cookies a browser would keep for one site: what Set-Cookie stored, sent back as Cookie. */
export class CookieJar {
  private readonly cookies = new Map<string, string>();

  store(response: Response): void {
    for (const header of response.headers.getSetCookie()) {
      const [pair = "", ...attributes] = header.split(";");
      const separator = pair.indexOf("=");
      if (separator === -1) continue;
      const name = pair.slice(0, separator).trim();
      const value = pair.slice(separator + 1).trim();
      const expired = attributes.some((attribute) => /^\s*max-age\s*=\s*(0|-\d+)\s*$/i.test(attribute));
      if (expired || value === "") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  get(name: string): string | undefined {
    return this.cookies.get(name);
  }

  set(name: string, value: string): void {
    this.cookies.set(name, value);
  }

  /** The Cookie request header, or undefined when the jar is empty. */
  header(): string | undefined {
    if (this.cookies.size === 0) return undefined;
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }

  /** The session token the server set, if any. */
  sessionToken(): string | undefined {
    return this.get(SESSION_COOKIE_NAME);
  }
}

export type HttpClient = TRPCClient<AppRouter>;

/**
 * A tRPC client that talks to a running server over HTTP like a browser on the app's own origin would:
 * it keeps cookies and sends `Origin: baseUrl` (the server's APP_URL in startServer()). With `password`, it
 * answers sudo mode's Confirm access as the browser's prompt would (a suite may run past 10 minutes after
 * its sign-up); without, a sensitive change from an old session is refused.
 */
export function createHttpClient(baseUrl: string, jar: CookieJar = new CookieJar(), options: { password?: string } = {}): HttpClient {
  const { password } = options;
  const client: HttpClient = createTRPCClient<AppRouter>({
    links: [
      sudoLink<AppRouter>(async () => {
        if (password === undefined) return false;
        await client.auth.confirmAccess.mutate({ password });
        return true;
      }),
      httpLink({
        url: `${baseUrl}/api/trpc`,
        transformer: superjson,
        fetch: async (input, init) => {
          const headers = new Headers(init?.headers as HeadersInit | undefined);
          headers.set("origin", new URL(baseUrl).origin);
          const cookie = jar.header();
          if (cookie) headers.set("cookie", cookie);
          const response = await fetch(input, { ...(init as RequestInit | undefined), headers });
          jar.store(response);
          return response;
        },
      }),
    ],
  });
  return client;
}

export interface SignedUpClient {
  client: HttpClient;
  jar: CookieJar;
  user: { id: string; email: string; firstname: string; surname: string };
  email: string;
  password: string;
}

let signUpCounter = 0;

/** Signs a new, unique user up over HTTP and returns a client holding their session cookie. */
export async function signUpOverHttp(
  baseUrl: string,
  overrides: Partial<{ email: string; firstname: string; surname: string; password: string }> = {},
  /** The server's mail, when it has SMTP_URL: sign-up then confirms the address through the mailed link. */
  mail?: TestMailServer,
): Promise<SignedUpClient> {
  signUpCounter += 1;
  const email = overrides.email ?? `http-${Date.now()}-${signUpCounter}-${Math.random().toString(36).slice(2, 8)}@example.test`;
  const password = overrides.password ?? `pw-${Math.random().toString(36).slice(2)}-${Date.now()}`;
  const jar = new CookieJar();
  const client = createHttpClient(baseUrl, jar, { password });
  const answer = await client.auth.signUp.mutate({
    email,
    password,
    firstname: overrides.firstname ?? "Test",
    surname: overrides.surname ?? "User",
  });
  if (!("checkEmail" in answer)) return { client, jar, user: answer, email: answer.email, password };
  if (!mail) throw new Error("sign-up asks to confirm the email: pass the test mail server to signUpOverHttp");
  const link = linkIn(await mail.waitForMail(email), `${baseUrl}/verify-email?token=`);
  await client.account.verifyEmail.mutate({ token: link.searchParams.get("token") ?? "" });
  const user = await client.auth.me.query();
  if (!user) throw new Error("following the confirmation link did not sign in");
  return { client, jar, user, email: user.email, password };
}
