import { z } from "zod";

/** What a personal access token may do. DESIGN: Tokens. */
export const TOKEN_SCOPES = ["read:data", "write:bookings"] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

export const SCOPE_DESCRIPTIONS: Record<TokenScope, string> = {
  "read:data": "Read hospitals and your own bookings",
  "write:bookings": "Create and cancel your own bookings",
};

export const tokenScopeSchema = z.enum(TOKEN_SCOPES, { error: `Unknown scope. Allowed: ${TOKEN_SCOPES.join(", ")}` });

export function isTokenScope(value: string): value is TokenScope {
  return (TOKEN_SCOPES as readonly string[]).includes(value);
}
