import "server-only";
import { cache } from "react";
import { headers } from "next/headers";
import { PATHNAME_HEADER } from "~/server/auth/redirect";
import { withDb } from "~/server/db";
import { AUTHORIZATION_PARAMETERS, validateAuthorizationRequest, type AuthorizationValidation } from "./authorization";
import { documentFetchesLimitedFor } from "./clients";

// The consent page and its form answer share this: the same parameters, validated the same way, twice.

/** The consent page's path: the authorization endpoint, as a page. */
export const CONSENT_PATH = "/oauth/authorize";

/** The fields the consent form sends back besides the authorization request's own parameters. */
export const CONSENT_FIELDS = { decision: "decision", granted: "granted" } as const;
export const CONSENT_ERROR_PARAM = "consent_error";

/** Only the authorization request's own parameters, in a stable order, for a form or a link back to the page. */
export function authorizationParameters(source: URLSearchParams): URLSearchParams {
  const params = new URLSearchParams();
  for (const name of AUTHORIZATION_PARAMETERS) for (const value of source.getAll(name)) params.append(name, value);
  return params;
}

/** `headers`: the request's, whose client address is charged for any metadata document fetched. */
export function validateAuthorization(params: URLSearchParams, headers: Headers): Promise<AuthorizationValidation> {
  // Up to 5 s of it may be fetching a client metadata document.
  return withDb((db) => validateAuthorizationRequest(db, params, documentFetchesLimitedFor(db, headers)), { deadlineMs: 8000 });
}

/**
 * The consent page's own validation, once per request: the page, and the not-found boundary that shows its
 * refusal, both ask (React's cache is per request). `query` is the page's search string.
 */
export const validateConsentPageRequest = cache(async (query: string): Promise<AuthorizationValidation> => {
  return validateAuthorization(authorizationParameters(new URLSearchParams(query)), await headers());
});

/** The consent page's query, as proxy.ts recorded it (it always sets PATHNAME_HEADER itself). */
export async function consentPageQuery(): Promise<string> {
  const path = (await headers()).get(PATHNAME_HEADER) ?? "";
  const index = path.indexOf("?");
  return index === -1 ? "" : path.slice(index + 1);
}
