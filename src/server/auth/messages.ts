/** A password typed to prove who you are (settings, Confirm access) that is not the account's. */
export const WRONG_PASSWORD_MESSAGE = "That is not your current password.";

/** The answer to a request that carries two session cookies (proxy.ts, tRPC context). */
export const TWO_SESSION_COOKIES_MESSAGE =
  "Two session cookies were sent, so we cannot tell which account is yours. Clear this site's cookies, then sign in again.";
