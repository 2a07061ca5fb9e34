// An OAuth error (RFC 6749 §5.2, RFC 7591 §3.2.2, RFC 7009, RFC 7662), thrown from any depth of an OAuth
// route and turned into its answer in one place (oauthRoute in ./http.ts). The description is ours, fixed
// or built from our own rules: never a secret.

export class OAuthError extends Error {
  override readonly name = "OAuthError";

  constructor(
    readonly status: number,
    readonly code: string,
    readonly description: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(description);
  }

  /** 429 with Retry-After (the code stays the endpoint's own, e.g. invalid_request or too_many_requests). */
  static tooMany(code: string, description: string, retryAfterSeconds: number): OAuthError {
    return new OAuthError(429, code, description, { "Retry-After": String(retryAfterSeconds) });
  }
}
