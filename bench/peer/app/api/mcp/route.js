import { answerWithStaticTool } from "../../../peer-route.js";

// The floor `npm run bench` compares /api/mcp with: the MCP SDK in a Next.js route handler, one static tool, no
// authentication, no database, the SDK's defaults. Deliberately plain: what a minimal MCP route costs.
export const dynamic = "force-dynamic";

export function POST(request) {
  return answerWithStaticTool(request);
}
