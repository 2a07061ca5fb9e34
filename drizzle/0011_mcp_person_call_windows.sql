CREATE TABLE "mcp_person_call_windows" (
	"user_id" uuid PRIMARY KEY NOT NULL,
	"window_started_at" timestamp with time zone NOT NULL,
	"calls" integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE "mcp_person_call_windows" ADD CONSTRAINT "mcp_person_call_windows_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
-- Hand-written, as in 0005: counters only, no WAL (a crash resets the current windows, which only forgives some calls), so a lease costs no fsync.
ALTER TABLE "mcp_person_call_windows" SET UNLOGGED;
