import { authorizationServerMetadata, corsPreflight, metadataResponse } from "~/server/oauth/metadata";

export const dynamic = "force-dynamic";

// RFC 8414 authorization server metadata. Served at the root, under the resource path (some clients build
// the URL from /api/mcp), and as OpenID discovery, with the same issuer everywhere.
export function GET(): Response {
  return metadataResponse(authorizationServerMetadata());
}

export const OPTIONS = corsPreflight;
