ALTER TABLE "api_tokens" ADD COLUMN "identity_id" uuid;--> statement-breakpoint
ALTER TABLE "api_tokens" ADD COLUMN "replaced_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "time_zone" text;--> statement-breakpoint
CREATE INDEX "api_tokens_identity_id_idx" ON "api_tokens" USING btree ("identity_id");--> statement-breakpoint
-- Every personal token made before identities existed is its own identity.
UPDATE "api_tokens" SET "identity_id" = "id" WHERE "kind" = 'personal';
