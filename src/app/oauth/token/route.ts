import { env } from "~/env";
import { clientIpFromHeaders } from "~/server/auth/client-ip";
import { consumeRateLimit } from "~/server/auth/rate-limit";
import { getDb, withDatabaseDeadline } from "~/server/db";
import { authenticateClient } from "~/server/oauth/clients";
import { oauthError, oauthJson, oauthServerError, readForm } from "~/server/oauth/http";
import { corsPreflight } from "~/server/oauth/metadata";
import { exchangeAuthorizationCode, refreshAccessToken } from "~/server/oauth/token-endpoint";

export const dynamic = "force-dynamic";

/** The token endpoint (OAuth 2.1 §3.2): authorization_code with PKCE, and refresh_token with rotation. */
export async function POST(request: Request): Promise<Response> {
  const form = await readForm(request);
  if (!form.ok) return form.response;
  const grantType = form.value.get("grant_type");
  if (grantType !== "authorization_code" && grantType !== "refresh_token") {
    return oauthError(400, "unsupported_grant_type", "grant_type must be authorization_code or refresh_token.");
  }
  try {
    return await withDatabaseDeadline(
      (async () => {
        const db = await getDb();
        const client = await authenticateClient(db, request.headers, form.value);
        if (!client.ok) return oauthError(client.status, client.error, client.description);
        if (!client.client.grantTypes.includes(grantType)) {
          return oauthError(400, "unauthorized_client", `This client did not register for the ${grantType} grant.`);
        }
        // Per client and address: a shared client id (a metadata document's URL) is many people's, so not per client alone.
        const limit = await consumeRateLimit(db, `token:${client.client.clientId}:ip:${clientIpFromHeaders(request.headers)}`, {
          limit: 4 * env.OAUTH_TOKEN_RATE_LIMIT_PER_MINUTE,
          windowMs: 60_000,
        });
        if (!limit.allowed) {
          return oauthError(429, "invalid_request", "Too many token requests from this client. Try again shortly.", { "Retry-After": String(limit.retryAfterSeconds) });
        }
        const result =
          grantType === "authorization_code"
            ? await exchangeAuthorizationCode(db, client.client, form.value)
            : await refreshAccessToken(db, client.client, form.value);
        if (result.ok) return oauthJson(result.body);
        if (result.retryAfterSeconds !== undefined) {
          return oauthError(429, result.error, result.description, { "Retry-After": String(result.retryAfterSeconds) });
        }
        return oauthError(400, result.error, result.description);
      })(),
      8000,
    );
  } catch (error) {
    return oauthServerError("token", error);
  }
}

export const OPTIONS = corsPreflight;
