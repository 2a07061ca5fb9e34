import { corsPreflight, metadataResponse, protectedResourceMetadata } from "~/server/oauth/metadata";

export const dynamic = "force-dynamic";

// RFC 9728 §3.1: the path-inserted location for the resource APP_URL/api/mcp.
export function GET(): Response {
  return metadataResponse(protectedResourceMetadata());
}

export const OPTIONS = corsPreflight;
