import { and, eq, isNull, sql } from "drizzle-orm";
import type { Database, Transaction } from "~/server/db/client";
import { deleteBatch, purgeInBatches, type PurgeOptions } from "~/server/db/purge";
import { oauthCodes, oauthGrants } from "~/server/db/schema";
import { isTokenScope, TOKEN_SCOPES, type TokenScope } from "~/server/tokens/scopes";
import { hashToken, randomBase62 } from "~/server/tokens/token";
import { findClient, type OAuthClient } from "./clients";
import type { ResolveOptions } from "./client-metadata";
import { AUTHORIZATION_CODE_TTL_SECONDS, issuer, mcpResourceUrl, OFFLINE_ACCESS } from "./metadata";
import { isValidCodeChallenge } from "./pkce";
import { redirectUriMatches } from "./redirect-uri";

// The authorization endpoint's rules (OAuth 2.1 §4.1, MCP authorization). Used twice per sign-in: to show
// the consent page, and again, from scratch, when the user answers it.

export interface AuthorizationRequest {
  client: OAuthClient;
  redirectUri: string;
  state: string | null;
  codeChallenge: string;
  scopes: TokenScope[];
  resource: string;
}

export type AuthorizationValidation =
  | { ok: true; request: AuthorizationRequest }
  /** Client or redirect URI cannot be trusted: say so on a page, never redirect (OAuth 2.1 §4.1.2.1). */
  | { ok: false; display: "page"; description: string }
  /**
   * Anything else may go back to the client, but only once the person has seen the consent page (its
   * answer, /oauth/authorize/decision): a registered redirect URI is unverified, and redirecting an
   * unanswered request would make us an open redirect (RFC 9700 §4.11.2). The page shows `description`.
   */
  | { ok: false; display: "redirect"; location: string; description: string };

/** The authorization request's own parameters (OAuth 2.1 §4.1.1, RFC 8707); anything else is ignored. */
export const AUTHORIZATION_PARAMETERS = ["client_id", "redirect_uri", "response_type", "code_challenge", "code_challenge_method", "scope", "state", "resource"] as const;

export async function validateAuthorizationRequest(
  db: Database,
  params: URLSearchParams,
  options?: ResolveOptions,
): Promise<AuthorizationValidation> {
  // OAuth 2.1 §3.1: parameters must not be repeated.
  const repeated = AUTHORIZATION_PARAMETERS.find((name) => params.getAll(name).length > 1);
  if (repeated === "client_id" || repeated === "redirect_uri") return page(`The request names more than one ${repeated}.`);

  const clientId = params.get("client_id");
  if (!clientId) return page("The request does not say which application is asking (client_id is missing).");
  const lookup = await findClient(db, clientId, options);
  if (!lookup.ok) return page(lookup.description);
  const { client } = lookup;

  const redirectUri = params.get("redirect_uri");
  if (!redirectUri) return page(`${client.name} did not say where to send you back (redirect_uri is missing).`);
  if (!redirectUriMatches(client.redirectUris, redirectUri)) {
    return page(`${client.name} asked to send you back to an address it did not register. Nothing was shared.`);
  }

  const state = params.get("state");
  const back = (error: string, description: string) => ({
    ok: false as const,
    display: "redirect" as const,
    location: authorizationResponseLocation(redirectUri, { error, error_description: description, state }),
    description: `${client.name} sent a request Carestral cannot answer (${error}): ${description}`,
  });
  if (repeated) return back("invalid_request", `The ${repeated} parameter is repeated.`);
  if (params.get("response_type") !== "code") return back("unsupported_response_type", 'Only response_type "code" is supported.');
  const codeChallenge = params.get("code_challenge");
  if (!codeChallenge) return back("invalid_request", "PKCE is required: send code_challenge with code_challenge_method S256.");
  if (params.get("code_challenge_method") !== "S256") return back("invalid_request", "Only the S256 code_challenge_method is supported.");
  if (!isValidCodeChallenge(codeChallenge)) return back("invalid_request", "code_challenge must be 43 base64url characters (S256).");

  const scopes = parseRequestedScopes(params.get("scope"));
  if (!scopes.ok) return back("invalid_scope", `Unknown scope "${scopes.unknown.slice(0, 50)}". Carestral offers ${TOKEN_SCOPES.join(", ")}.`);
  const resource = checkResource(params.getAll("resource"));
  if (resource === null) return back("invalid_target", `This server only issues tokens for ${mcpResourceUrl()}.`);

  return { ok: true, request: { client, redirectUri, state, codeChallenge, scopes: scopes.scopes, resource } };
}

function page(description: string): AuthorizationValidation {
  return { ok: false, display: "page", description };
}

/**
 * Scopes split on any whitespace (Claude has sent "+offline_access", a leading space). offline_access asks for
 * a refresh token, which clients that registered for refresh get anyway. No scope, or offline_access alone,
 * means all of ours: ChatGPT omits scope when it reconnects.
 */
export function parseRequestedScopes(raw: string | null): { ok: true; scopes: TokenScope[] } | { ok: false; unknown: string } {
  const requested = (raw ?? "").split(/\s+/).filter((scope) => scope !== "" && scope !== OFFLINE_ACCESS);
  const unknown = requested.find((scope) => !isTokenScope(scope));
  if (unknown !== undefined) return { ok: false, unknown };
  if (requested.length === 0) return { ok: true, scopes: [...TOKEN_SCOPES] };
  return { ok: true, scopes: TOKEN_SCOPES.filter((scope) => requested.includes(scope)) };
}

/**
 * RFC 8707: the resource a token is for. Absent means our MCP endpoint; anything else must name it (scheme and
 * host compared without case, a trailing slash ignored). Returns the canonical URL, or null for another resource.
 */
export function checkResource(values: string[]): string | null {
  const canonical = mcpResourceUrl();
  if (values.length === 0) return canonical;
  if (values.length > 1) return null;
  const [value] = values;
  if (!value || !URL.canParse(value)) return null;
  const url = new URL(value);
  if (url.hash || url.search) return null;
  const normalised = `${url.origin}${url.pathname.replace(/\/$/, "")}`;
  return normalised === canonical ? canonical : null;
}

/** The client's redirect URI with the response parameters, `iss` included on success and error alike (RFC 9207). */
export function authorizationResponseLocation(redirectUri: string, response: Record<string, string | null>): string {
  const url = new URL(redirectUri);
  for (const [name, value] of Object.entries(response)) if (value !== null) url.searchParams.set(name, value);
  url.searchParams.set("iss", issuer());
  return url.toString();
}

/** The user said no: back to the client with access_denied. */
export function denyAuthorization(request: AuthorizationRequest): string {
  return authorizationResponseLocation(request.redirectUri, {
    error: "access_denied",
    error_description: "The user declined to connect.",
    state: request.state,
  });
}

/**
 * The user allowed `scopes` (a non-empty subset of the requested ones): issue a single-use code bound to all of
 * it, under the person's one grant for this client (made pending when there is none). Nothing is listed or
 * changed for the person until the code is exchanged (token-endpoint.ts connects the grant then): a blocked or
 * abandoned attempt leaves only a pending row, swept here on a later Allow. Returns the redirect to the client.
 */
export async function approveAuthorization(db: Database, userId: string, request: AuthorizationRequest, scopes: TokenScope[]): Promise<string> {
  const code = randomBase62(43);
  await db.transaction(async (tx) => {
    await sweepPendingGrants(tx, userId);
    const grantId = await liveGrantFor(tx, userId, request);
    await tx.insert(oauthCodes).values({
      codeHash: hashToken(code),
      grantId,
      clientId: request.client.clientId,
      redirectUri: request.redirectUri,
      codeChallenge: request.codeChallenge,
      scopes,
      resource: request.resource,
      expiresAt: sql`now() + make_interval(secs => ${AUTHORIZATION_CODE_TTL_SECONDS})`,
    });
  });
  return authorizationResponseLocation(request.redirectUri, { code, state: request.state });
}

/** The person's live grant for this client (one at most, by a unique index), made pending if there is none. */
async function liveGrantFor(tx: Transaction, userId: string, request: AuthorizationRequest): Promise<string> {
  const live = and(eq(oauthGrants.userId, userId), eq(oauthGrants.clientId, request.client.clientId), isNull(oauthGrants.revokedAt));
  const [existing] = await tx.select({ id: oauthGrants.id }).from(oauthGrants).where(live).limit(1);
  if (existing) return existing.id;
  const [inserted] = await tx
    .insert(oauthGrants)
    .values({
      userId,
      clientId: request.client.clientId,
      clientName: request.client.name,
      clientHost: request.client.verifiedHost,
      redirectUri: request.redirectUri,
      scopes: [],
      resource: request.resource,
    })
    // Two Allows at once: the second finds the first's row.
    .onConflictDoNothing()
    .returning({ id: oauthGrants.id });
  const grant = inserted ?? (await tx.select({ id: oauthGrants.id }).from(oauthGrants).where(live).limit(1))[0];
  if (!grant) throw new Error("Recording the grant returned no row");
  return grant.id;
}

/** Pending grants whose codes have all expired: an attempt that never came back. Their codes go with them. */
async function sweepPendingGrants(tx: Transaction, userId: string): Promise<void> {
  await tx
    .delete(oauthGrants)
    .where(
      and(
        eq(oauthGrants.userId, userId),
        isNull(oauthGrants.connectedAt),
        sql`not exists (select 1 from oauth_codes c where c.grant_id = ${oauthGrants.id} and c.expires_at > now())`,
      ),
    );
}

/**
 * Deletes, in bounded batches, every person's pending grants (Allow pressed, no code ever exchanged) whose last code
 * expired more than an hour ago: the background purges job, for the attempts of people who never press Allow again
 * (sweepPendingGrants tidies a person's own on their next Allow). The hour keeps clear of an Allow in progress.
 */
export async function purgeAbandonedGrants(db: Database, options: PurgeOptions = {}): Promise<number> {
  const abandoned = sql`${oauthGrants.connectedAt} is null
    and ${oauthGrants.createdAt} < now() - interval '1 hour'
    and not exists (select 1 from ${oauthCodes} c where c.grant_id = ${oauthGrants.id} and c.expires_at > now() - interval '1 hour')`;
  return purgeInBatches((batchSize) => deleteBatch(db, oauthGrants, oauthGrants.id, abandoned, batchSize), options);
}
