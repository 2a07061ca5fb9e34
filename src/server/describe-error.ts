/**
 * An unexpected error, for the server log: the innermost cause's name, SQLSTATE or errno code, and
 * message. Never the error itself: Drizzle's "Failed query" error carries the query parameters (a
 * password hash, a token hash, a user's notes) in its message and fields.
 */
export function describeError(error: unknown): string {
  let innermost: unknown = error;
  for (let depth = 0; depth < 5 && innermost instanceof Error && innermost.cause instanceof Error; depth++) {
    innermost = innermost.cause;
  }
  if (!(innermost instanceof Error)) return typeof innermost;
  const code = (innermost as { code?: unknown }).code;
  const message = innermost.message.startsWith("Failed query:") ? "query failed" : innermost.message;
  // The class name is minified in production builds; the SQLSTATE or errno code says more when there is one.
  return `${typeof code === "string" ? code : innermost.name}: ${message}`;
}
