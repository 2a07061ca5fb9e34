ALTER TABLE "mcp_activity" ADD COLUMN "error" text;--> statement-breakpoint
ALTER TABLE "mcp_activity" ADD COLUMN "client_name" text;--> statement-breakpoint
ALTER TABLE "mcp_activity" ADD COLUMN "client_version" text;