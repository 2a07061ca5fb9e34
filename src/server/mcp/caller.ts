export type { TokenCaller as McpCaller } from "~/server/tokens/service";
