-- A token belongs to one person, so an activity row's token_id decides its user_id. Without saying so, the planner
-- multiplies the two filters' selectivities, expects a handful of rows for "this person's calls on this token",
-- and answers a token's page by reading every call of the token (a bitmap AND, then a sort): 10 ms with 1 million
-- calls in the trail, 215 ms with 10 million. Told of the dependency, it walks the (token_id, at) index backwards
-- and stops after a page. The roll-up has the same two columns and the same dependency.
CREATE STATISTICS "mcp_activity_token_owner_stats" (dependencies) ON "token_id", "user_id" FROM "mcp_activity";--> statement-breakpoint
CREATE STATISTICS "mcp_activity_rollup_token_owner_stats" (dependencies) ON "token_id", "user_id" FROM "mcp_activity_rollup";--> statement-breakpoint
-- Statistics are built by ANALYZE (a sample of the table, so bounded on a large trail); autovacuum keeps them.
ANALYZE "mcp_activity";--> statement-breakpoint
ANALYZE "mcp_activity_rollup";
