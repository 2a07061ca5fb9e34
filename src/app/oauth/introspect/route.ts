import { getAuthDb, withDatabaseDeadline } from "~/server/db";
import {
  authenticateIntrospectionCaller,
  consumeIntrospectionBudget,
  introspectionEnabled,
  introspectToken,
} from "~/server/introspection/introspect";
import { readBasicCredentials } from "~/server/oauth/clients";
import { oauthError, oauthJson, oauthServerError, readForm } from "~/server/oauth/http";

export const dynamic = "force-dynamic";

const CHALLENGE = { "WWW-Authenticate": 'Basic realm="carestral-introspection"' };

/**
 * RFC 7662 token introspection, for the resource servers listed in INTROSPECTION_CREDENTIALS
 * (client_secret_basic or client_secret_post). 404 when none is configured.
 */
export async function POST(request: Request): Promise<Response> {
  if (!introspectionEnabled()) return oauthError(404, "not_found", "Token introspection is not enabled on this server.");
  const basic = readBasicCredentials(request.headers.get("authorization"));
  if (basic === "malformed") return oauthError(401, "invalid_client", "The Authorization header is not valid HTTP Basic credentials.", CHALLENGE);
  const form = await readForm(request);
  if (!form.ok) return form.response;
  const caller = authenticateIntrospectionCaller(
    basic?.clientId ?? form.value.get("client_id"),
    basic?.secret ?? form.value.get("client_secret"),
  );
  if (!caller) return oauthError(401, "invalid_client", "Introspection needs the credentials of a listed resource server.", CHALLENGE);
  const token = form.value.get("token");
  if (!token) return oauthError(400, "invalid_request", "token is required.");
  try {
    return await withDatabaseDeadline(
      (async () => {
        // Verification's own pool, as /api/mcp: busy tool queries must not starve it.
        const db = await getAuthDb();
        const budget = await consumeIntrospectionBudget(db, caller);
        if (!budget.allowed) {
          return oauthError(429, "rate_limited", `Too many introspection requests. Try again in ${budget.retryAfterSeconds} seconds.`, {
            "Retry-After": String(budget.retryAfterSeconds),
          });
        }
        return oauthJson(await introspectToken(db, caller, token, request.headers));
      })(),
    );
  } catch (error) {
    return oauthServerError("introspection", error);
  }
}
