ALTER TABLE "oauth_grants" ADD COLUMN "connected_at" timestamp with time zone;--> statement-breakpoint
-- Hand-written (issue 18, one grant per person × client): before the unique index, merge the live grants a
-- loopback port change had duplicated. The one kept is the newest that issued tokens; the others' tokens and
-- codes move to it and their rows go. Then grants that issued tokens count as connected since they were made;
-- the rest were blocked or abandoned attempts, pending (unlisted) until swept.
CREATE TEMPORARY TABLE "grant_merge" AS
  SELECT "id", first_value("id") OVER (
    PARTITION BY "user_id", "client_id"
    ORDER BY EXISTS (SELECT 1 FROM "api_tokens" t WHERE t."grant_id" = g."id") DESC, "created_at" DESC, "id" DESC
  ) AS "keep"
  FROM "oauth_grants" g WHERE "revoked_at" IS NULL;--> statement-breakpoint
UPDATE "api_tokens" SET "grant_id" = m."keep" FROM "grant_merge" m WHERE "api_tokens"."grant_id" = m."id" AND m."id" <> m."keep";--> statement-breakpoint
UPDATE "oauth_codes" SET "grant_id" = m."keep" FROM "grant_merge" m WHERE "oauth_codes"."grant_id" = m."id" AND m."id" <> m."keep";--> statement-breakpoint
DELETE FROM "oauth_grants" USING "grant_merge" m WHERE "oauth_grants"."id" = m."id" AND m."id" <> m."keep";--> statement-breakpoint
DROP TABLE "grant_merge";--> statement-breakpoint
UPDATE "oauth_grants" g SET "connected_at" = g."created_at" WHERE EXISTS (SELECT 1 FROM "api_tokens" t WHERE t."grant_id" = g."id");--> statement-breakpoint
CREATE UNIQUE INDEX "oauth_grants_one_live_idx" ON "oauth_grants" USING btree ("user_id","client_id") WHERE "oauth_grants"."revoked_at" is null;