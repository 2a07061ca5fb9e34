import { staticToolHandler } from "../../../peer-route-v2.js";

// The floor on the SDK's v2 line (`@modelcontextprotocol/server`): `createMcpHandler` in a Next.js route handler,
// one static tool, no authentication, no database, the SDK's defaults, both protocol eras.
export const dynamic = "force-dynamic";

export function POST(request) {
  return staticToolHandler.fetch(request);
}
