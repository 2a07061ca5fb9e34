import { z } from "zod";

// Input rules for reading the activity trail, shared by the tRPC router, the CSV export and the pages
// (client components import this file: zod only, no database code).

/** How a call ended. The database enum mcp_activity_outcome is built from this list. */
export const ACTIVITY_OUTCOMES = ["ok", "tool_error", "scope_refused", "rate_limited", "server_error", "protocol_refused"] as const;
export type ActivityOutcome = (typeof ACTIVITY_OUTCOMES)[number];
export const activityOutcomeSchema = z.enum(ACTIVITY_OUTCOMES);

export const OUTCOME_LABELS: Record<ActivityOutcome, string> = {
  ok: "OK",
  tool_error: "Tool error",
  scope_refused: "Refused: scope",
  rate_limited: "Rate limited",
  server_error: "Server error",
  protocol_refused: "Refused: protocol",
};

/** What the tool filter offers: our tools, then the protocol methods clients call. */
export const ACTIVITY_TOOLS = [
  "whoami",
  "hospitals_search",
  "hospitals_get",
  "bookings_list",
  "bookings_create",
  "bookings_cancel",
  // A resource server elsewhere asked /oauth/introspect about the token (DESIGN: Tokens beyond this deployment).
  "introspection",
  "initialize",
  "server/discover",
  "tools/list",
  "ping",
] as const;

/** Longest tool or method name stored: a client may send anything as a tool name. */
export const ACTIVITY_TOOL_MAX_LENGTH = 64;

export const activityToolSchema = z.string().trim().min(1).max(ACTIVITY_TOOL_MAX_LENGTH);

export const activityCursorSchema = z.object({ at: z.date(), id: z.number().int().positive() });
export type ActivityCursor = z.infer<typeof activityCursorSchema>;

export const ACTIVITY_PAGE_SIZE = 25;

export const activityPageInputSchema = z.object({
  outcome: activityOutcomeSchema.optional(),
  tool: activityToolSchema.optional(),
  /** Include protocol methods (initialize, tools/list, server/discover, ping): noise to most people, off by default. */
  protocol: z.boolean().default(false),
  /** The last entry of the previous page: the next page starts just before it. */
  cursor: activityCursorSchema.optional(),
  limit: z.number().int().min(1).max(100).default(ACTIVITY_PAGE_SIZE),
});
export type ActivityPageInput = z.input<typeof activityPageInputSchema>;

/** The longest period a CSV may cover, in days. */
export const EXPORT_MAX_DAYS = 366;
