import { authenticateClient } from "~/server/oauth/clients";
import { OAuthError, oauthRoute } from "~/server/oauth/http";
import { CORS_HEADERS, corsPreflight } from "~/server/oauth/metadata";
import { revokeClientToken } from "~/server/oauth/token-endpoint";

export const dynamic = "force-dynamic";

/** RFC 7009 token revocation. 200 whether or not the token was known (§2.2). */
export const POST = oauthRoute("revocation", async ({ request, form: readForm, withDatabase }) => {
  const form = await readForm();
  const token = form.get("token");
  if (!token) throw new OAuthError(400, "invalid_request", "token is required.");
  return withDatabase(async (db) => {
    const client = await authenticateClient(db, request.headers, form);
    await revokeClientToken(db, client, token);
    return new Response(null, { status: 200, headers: { "Cache-Control": "no-store", ...CORS_HEADERS } });
  });
});

export const OPTIONS = corsPreflight;
