import { AjvJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/ajv-provider.js";
import { answerWithStaticTool } from "../../../peer-route.js";

// The peer with the one tuning /api/mcp also has: a JSON Schema validator shared by every request, where the
// SDK's default builds an Ajv instance per server. A stricter floor.
export const dynamic = "force-dynamic";

const jsonSchemaValidator = new AjvJsonSchemaValidator();

export function POST(request) {
  return answerWithStaticTool(request, { jsonSchemaValidator });
}
