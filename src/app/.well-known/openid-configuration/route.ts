import { authorizationServerMetadata, corsPreflight, metadataResponse } from "~/server/oauth/metadata";

export const dynamic = "force-dynamic";

// The RFC 8414 document again, where OpenID discovery would be. Kept because clients we support look only
// here by default: oauth4webapi's discoveryRequest() and openid-client's discovery() (algorithm "oidc"). The
// MCP SDK (v1 and v2 clients, so mcp-remote and MCP Inspector) and Claude try /.well-known/oauth-authorization-server
// first and never come here. It is not OpenID Connect discovery: Carestral issues no ID tokens, so it has no
// jwks_uri, subject types or ID token algorithms, and no `openid` scope; clients that want OIDC are told so by
// their absence.
export function GET(): Response {
  return metadataResponse(authorizationServerMetadata());
}

export const OPTIONS = corsPreflight;
