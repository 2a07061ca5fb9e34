import {
  authenticateIntrospectionCaller,
  consumeIntrospectionBudget,
  introspectionEnabled,
  introspectToken,
} from "~/server/introspection/introspect";
import { readBasicCredentials } from "~/server/oauth/clients";
import { OAuthError, oauthJson, oauthRoute } from "~/server/oauth/http";

export const dynamic = "force-dynamic";

const CHALLENGE = { "WWW-Authenticate": 'Basic realm="carestral-introspection"' };

/**
 * RFC 7662 token introspection, for the resource servers listed in INTROSPECTION_CREDENTIALS
 * (client_secret_basic or client_secret_post). 404 when none is configured.
 */
export const POST = oauthRoute("introspection", async ({ request, form: readForm, withDatabase }) => {
  if (!introspectionEnabled()) throw new OAuthError(404, "not_found", "Token introspection is not enabled on this server.");
  const basic = readBasicCredentials(request.headers.get("authorization"));
  if (basic === "malformed") throw new OAuthError(401, "invalid_client", "The Authorization header is not valid HTTP Basic credentials.", CHALLENGE);
  const form = await readForm();
  const caller = authenticateIntrospectionCaller(basic?.clientId ?? form.get("client_id"), basic?.secret ?? form.get("client_secret"));
  if (!caller) throw new OAuthError(401, "invalid_client", "Introspection needs the credentials of a listed resource server.", CHALLENGE);
  const token = form.get("token");
  if (!token) throw new OAuthError(400, "invalid_request", "token is required.");
  // Verification's own pool, as /api/mcp: busy tool queries must not starve it.
  return withDatabase(
    async (db) => {
      const budget = await consumeIntrospectionBudget(db, caller);
      if (!budget.allowed) throw OAuthError.tooMany("rate_limited", `Too many introspection requests. Try again in ${budget.retryAfterSeconds} seconds.`, budget.retryAfterSeconds);
      return oauthJson(await introspectToken(db, caller, token, request.headers));
    },
    { pool: "auth" },
  );
});
