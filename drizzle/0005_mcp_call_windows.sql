CREATE TABLE "mcp_call_windows" (
	"token_id" uuid PRIMARY KEY NOT NULL,
	"window_started_at" timestamp with time zone NOT NULL,
	"calls" integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE "mcp_call_windows" ADD CONSTRAINT "mcp_call_windows_token_id_api_tokens_id_fk" FOREIGN KEY ("token_id") REFERENCES "public"."api_tokens"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
-- Counters only: no WAL (a crash resets the current windows, which only forgives some calls), so a lease costs no fsync.
ALTER TABLE "mcp_call_windows" SET UNLOGGED;
