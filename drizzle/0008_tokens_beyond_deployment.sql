ALTER TYPE "public"."token_kind" ADD VALUE 'legacy_jwt';--> statement-breakpoint
ALTER TABLE "api_tokens" ADD COLUMN "leak_url" text;--> statement-breakpoint
ALTER TABLE "api_tokens" ADD COLUMN "leak_source" text;