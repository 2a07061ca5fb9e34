import { corsPreflight, metadataResponse, protectedResourceMetadata } from "~/server/oauth/metadata";

export const dynamic = "force-dynamic";

// The root location, which clients try when the path-inserted one fails (MCP authorization, "Protected
// Resource Metadata Discovery"). Same document: Carestral protects one resource.
export function GET(): Response {
  return metadataResponse(protectedResourceMetadata());
}

export const OPTIONS = corsPreflight;
