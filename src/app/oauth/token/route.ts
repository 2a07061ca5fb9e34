import { env } from "~/env";
import { clientIpFromHeaders } from "~/server/auth/client-ip";
import { consumeRateLimit } from "~/server/auth/rate-limit";
import { authenticateClient } from "~/server/oauth/clients";
import { OAuthError, oauthJson, oauthRoute } from "~/server/oauth/http";
import { corsPreflight } from "~/server/oauth/metadata";
import { exchangeAuthorizationCode, refreshAccessToken } from "~/server/oauth/token-endpoint";
import { metrics } from "~/server/observability/metrics";

export const dynamic = "force-dynamic";

/** The token endpoint (OAuth 2.1 §3.2): authorization_code with PKCE, and refresh_token with rotation. */
export const POST = oauthRoute("token", async ({ request, form: readForm, withDatabase }) => {
  const form = await readForm();
  const grantType = form.get("grant_type");
  if (grantType !== "authorization_code" && grantType !== "refresh_token") {
    throw new OAuthError(400, "unsupported_grant_type", "grant_type must be authorization_code or refresh_token.");
  }
  return withDatabase(
    async (db) => {
      const client = await authenticateClient(db, request.headers, form);
      if (!client.grantTypes.includes(grantType)) {
        throw new OAuthError(400, "unauthorized_client", `This client did not register for the ${grantType} grant.`);
      }
      // Per client and address: a shared client id (a metadata document's URL) is many people's, so not per client alone.
      const limit = await consumeRateLimit(db, `token:${client.clientId}:ip:${clientIpFromHeaders(request.headers)}`, {
        limit: 4 * env.OAUTH_TOKEN_RATE_LIMIT_PER_MINUTE,
        windowMs: 60_000,
      });
      if (!limit.allowed) {
        metrics().limitRefusals.inc({ limit: "oauth_token" });
        throw OAuthError.tooMany("invalid_request", "Too many token requests from this client. Try again shortly.", limit.retryAfterSeconds);
      }
      const result = grantType === "authorization_code" ? await exchangeAuthorizationCode(db, client, form) : await refreshAccessToken(db, client, form);
      if (result.ok) {
        metrics().oauthTokens.inc({ grant: grantType });
        return oauthJson(result.body);
      }
      if (result.retryAfterSeconds !== undefined) throw OAuthError.tooMany(result.error, result.description, result.retryAfterSeconds);
      throw new OAuthError(400, result.error, result.description);
    },
    { deadlineMs: 8000 },
  );
});

export const OPTIONS = corsPreflight;
