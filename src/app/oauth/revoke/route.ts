import { getDb, withDatabaseDeadline } from "~/server/db";
import { authenticateClient } from "~/server/oauth/clients";
import { oauthError, oauthServerError, readForm } from "~/server/oauth/http";
import { CORS_HEADERS, corsPreflight } from "~/server/oauth/metadata";
import { revokeClientToken } from "~/server/oauth/token-endpoint";

export const dynamic = "force-dynamic";

/** RFC 7009 token revocation. 200 whether or not the token was known (§2.2). */
export async function POST(request: Request): Promise<Response> {
  const form = await readForm(request);
  if (!form.ok) return form.response;
  const token = form.value.get("token");
  if (!token) return oauthError(400, "invalid_request", "token is required.");
  try {
    return await withDatabaseDeadline(
      (async () => {
        const db = await getDb();
        const client = await authenticateClient(db, request.headers, form.value);
        if (!client.ok) return oauthError(client.status, client.error, client.description);
        await revokeClientToken(db, client.client, token);
        return new Response(null, { status: 200, headers: { "Cache-Control": "no-store", ...CORS_HEADERS } });
      })(),
    );
  } catch (error) {
    return oauthServerError("revocation", error);
  }
}

export const OPTIONS = corsPreflight;
