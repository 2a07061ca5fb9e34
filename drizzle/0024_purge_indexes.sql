CREATE INDEX "auth_rate_limits_window_started_at_idx" ON "auth_rate_limits" USING btree ("window_started_at");--> statement-breakpoint
CREATE INDEX "email_links_expires_at_idx" ON "email_links" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "known_devices_last_seen_at_idx" ON "known_devices" USING btree ("last_seen_at");--> statement-breakpoint
CREATE INDEX "mcp_call_windows_window_started_at_idx" ON "mcp_call_windows" USING btree ("window_started_at");--> statement-breakpoint
CREATE INDEX "mcp_person_call_windows_window_started_at_idx" ON "mcp_person_call_windows" USING btree ("window_started_at");--> statement-breakpoint
CREATE INDEX "oauth_clients_unused_created_at_idx" ON "oauth_clients" USING btree ("created_at") WHERE "oauth_clients"."last_used_at" is null;--> statement-breakpoint
CREATE INDEX "oauth_grants_pending_created_at_idx" ON "oauth_grants" USING btree ("created_at") WHERE "oauth_grants"."connected_at" is null;--> statement-breakpoint
CREATE INDEX "pending_sign_ins_expires_at_idx" ON "pending_sign_ins" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "sessions_expires_at_idx" ON "sessions" USING btree ("expires_at");