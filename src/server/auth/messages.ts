/** The answer to a request that carries two session cookies (proxy.ts, tRPC context). */
export const TWO_SESSION_COOKIES_MESSAGE =
  "Two session cookies were sent, so we cannot tell which account is yours. Clear this site's cookies, then sign in again.";
