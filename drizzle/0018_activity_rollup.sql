CREATE TABLE "mcp_activity_rollup" (
	"token_id" uuid NOT NULL,
	"quarter_hour" timestamp with time zone NOT NULL,
	"outcome" "mcp_activity_outcome" NOT NULL,
	"user_id" uuid NOT NULL,
	"calls" integer NOT NULL,
	CONSTRAINT "mcp_activity_rollup_token_id_quarter_hour_outcome_pk" PRIMARY KEY("token_id","quarter_hour","outcome")
);
--> statement-breakpoint
ALTER TABLE "mcp_activity_rollup" ADD CONSTRAINT "mcp_activity_rollup_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "mcp_activity_rollup_user_id_quarter_hour_idx" ON "mcp_activity_rollup" USING btree ("user_id","quarter_hour");--> statement-breakpoint
-- Hand-written: the roll-up is kept by the database itself, in the statement that writes the trail (one upsert per
-- INSERT, its keys in order so that concurrent writers wait instead of deadlocking), whoever writes it: the
-- recorder's batches, a half of a batch retried, the benchmark's generated rows. A rolled-back INSERT counts nothing.
CREATE FUNCTION "mcp_activity_rollup_add"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "mcp_activity_rollup" ("token_id", "quarter_hour", "outcome", "user_id", "calls")
  SELECT "token_id", date_bin('15 minutes', "at", '2000-01-01 00:00:00+00'), "outcome", (array_agg("user_id"))[1], count(*)::int
  FROM "inserted_calls"
  GROUP BY 1, 2, 3
  ORDER BY 1, 2, 3
  ON CONFLICT ("token_id", "quarter_hour", "outcome") DO UPDATE SET "calls" = "mcp_activity_rollup"."calls" + excluded."calls";
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "mcp_activity_rollup_add" AFTER INSERT ON "mcp_activity"
  REFERENCING NEW TABLE AS "inserted_calls" FOR EACH STATEMENT EXECUTE FUNCTION "mcp_activity_rollup_add"();
--> statement-breakpoint
-- Data migration: the calls already in the trail, counted the same way.
INSERT INTO "mcp_activity_rollup" ("token_id", "quarter_hour", "outcome", "user_id", "calls")
SELECT "token_id", date_bin('15 minutes', "at", '2000-01-01 00:00:00+00'), "outcome", (array_agg("user_id"))[1], count(*)::int
FROM "mcp_activity"
GROUP BY 1, 2, 3;
