import { env } from "~/env";
import { TOKEN_SCOPES } from "~/server/tokens/scopes";

// Discovery documents and the fixed rules of Carestral's OAuth 2.1 authorization server (DESIGN: OAuth 2.1
// for MCP clients). The issuer is APP_URL itself: no path, so clients find RFC 8414 metadata at the root.

export const OFFLINE_ACCESS = "offline_access";
export const ACCESS_TOKEN_TTL_SECONDS = 60 * 60;
export const REFRESH_TOKEN_TTL_DAYS = 30;
export const AUTHORIZATION_CODE_TTL_SECONDS = 5 * 60;
/**
 * A rotated refresh token presented again within this window is a client refreshing in parallel (Claude,
 * multi-process clients), not a thief: it gets a fresh pair and nothing is revoked. Later, it revokes the grant.
 */
export const REFRESH_GRACE_SECONDS = 60;
/** At most this many pairs are minted from one rotated refresh token within the grace window. */
export const MAX_GRACE_REPLAYS = 5;

export const MCP_PATH = "/api/mcp";

export function issuer(): string {
  return env.APP_URL;
}

/** The public URL of the MCP endpoint: the `resource` of RFC 9728 metadata and the audience of OAuth tokens. */
export function mcpResourceUrl(): string {
  return `${env.APP_URL}${MCP_PATH}`;
}

/** RFC 9728 §3.1: the metadata of resource https://host/api/mcp lives at /.well-known/oauth-protected-resource/api/mcp. */
export function resourceMetadataUrl(): string {
  return `${env.APP_URL}/.well-known/oauth-protected-resource${MCP_PATH}`;
}

export const oauthEndpoints = {
  authorization: "/oauth/authorize",
  token: "/oauth/token",
  registration: "/oauth/register",
  revocation: "/oauth/revoke",
  introspection: "/oauth/introspect",
} as const;

/** RFC 9728 §2. `offline_access` is left out on purpose: it is the authorization server's business (MCP 2026-07-28). */
export function protectedResourceMetadata() {
  return {
    resource: mcpResourceUrl(),
    authorization_servers: [issuer()],
    bearer_methods_supported: ["header"],
    scopes_supported: [...TOKEN_SCOPES],
    resource_name: "Carestral",
    resource_documentation: `${env.APP_URL}/dashboard/tokens`,
  };
}

/** RFC 8414 §2, also served as OpenID discovery for clients that only try that. */
export function authorizationServerMetadata() {
  const base = issuer();
  return {
    issuer: base,
    authorization_endpoint: `${base}${oauthEndpoints.authorization}`,
    token_endpoint: `${base}${oauthEndpoints.token}`,
    registration_endpoint: `${base}${oauthEndpoints.registration}`,
    revocation_endpoint: `${base}${oauthEndpoints.revocation}`,
    response_types_supported: ["code"],
    response_modes_supported: ["query"],
    grant_types_supported: ["authorization_code", "refresh_token"],
    code_challenge_methods_supported: ["S256"],
    token_endpoint_auth_methods_supported: ["none", "client_secret_post", "client_secret_basic"],
    revocation_endpoint_auth_methods_supported: ["none", "client_secret_post", "client_secret_basic"],
    // Only when resource servers are configured to call it (INTROSPECTION_CREDENTIALS): otherwise it answers 404.
    ...(env.INTROSPECTION_CREDENTIALS.length > 0
      ? {
          introspection_endpoint: `${base}${oauthEndpoints.introspection}`,
          introspection_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
        }
      : {}),
    scopes_supported: [...TOKEN_SCOPES, OFFLINE_ACCESS],
    client_id_metadata_document_supported: true,
    authorization_response_iss_parameter_supported: true,
    service_documentation: `${base}/`,
  };
}

/** Metadata is public: any origin may read it, and caches may keep it for an hour. */
export function metadataResponse(body: object): Response {
  return Response.json(body, { headers: { "Cache-Control": "public, max-age=3600", ...CORS_HEADERS } });
}

/** Browser-based clients (the MCP Inspector, web apps) call discovery, token, registration and revocation cross-origin. */
export const CORS_HEADERS = {
  "Access-Control-Allow-Origin": "*",
  "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
  "Access-Control-Allow-Headers": "Authorization, Content-Type, MCP-Protocol-Version",
  "Access-Control-Max-Age": "86400",
} as const;

export function corsPreflight(): Response {
  return new Response(null, { status: 204, headers: CORS_HEADERS });
}
