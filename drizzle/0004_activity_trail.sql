CREATE TYPE "public"."mcp_activity_outcome" AS ENUM('ok', 'tool_error', 'scope_refused', 'rate_limited', 'server_error');--> statement-breakpoint
CREATE TABLE "mcp_activity" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "mcp_activity_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"at" timestamp with time zone NOT NULL,
	"user_id" uuid NOT NULL,
	"token_id" uuid NOT NULL,
	"tool" text NOT NULL,
	"outcome" "mcp_activity_outcome" NOT NULL,
	"duration_ms" integer NOT NULL,
	"client_ip" text,
	"user_agent" text,
	"summary" text
);
--> statement-breakpoint
ALTER TABLE "api_tokens" ADD COLUMN "description" text;--> statement-breakpoint
ALTER TABLE "mcp_activity" ADD CONSTRAINT "mcp_activity_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "mcp_activity_token_id_at_idx" ON "mcp_activity" USING btree ("token_id","at","id");--> statement-breakpoint
CREATE INDEX "mcp_activity_user_id_at_idx" ON "mcp_activity" USING btree ("user_id","at","id");