ALTER TYPE "public"."email_link_purpose" ADD VALUE 'email_change';--> statement-breakpoint
ALTER TABLE "email_links" ADD COLUMN "new_email" text;