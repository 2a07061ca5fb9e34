ALTER TABLE "api_tokens" ADD COLUMN "code_hash" text;--> statement-breakpoint
CREATE INDEX "api_tokens_code_hash_idx" ON "api_tokens" USING btree ("code_hash");