import { clientIpFromHeaders } from "~/server/auth/client-ip";
import { consumeRateLimit } from "~/server/auth/rate-limit";
import { MAX_CLIENT_METADATA_BYTES } from "~/server/oauth/client-metadata/rules";
import { registerClient } from "~/server/oauth/clients";
import { OAuthError, oauthJson, oauthRoute } from "~/server/oauth/http";
import { corsPreflight } from "~/server/oauth/metadata";

export const dynamic = "force-dynamic";

// Generous: Claude registers from a shared range of addresses, once per new connection.
const REGISTRATIONS_PER_IP = { limit: 30, windowMs: 60_000 };

/** RFC 7591 dynamic client registration, the fallback for clients without a metadata document. */
export const POST = oauthRoute("registration", async ({ request, json, withDatabase }) => {
  // The same bound as a client metadata document: one client's self-description, never more.
  const body = await json("invalid_client_metadata", MAX_CLIENT_METADATA_BYTES);
  return withDatabase(async (db) => {
    const limit = await consumeRateLimit(db, `register:ip:${clientIpFromHeaders(request.headers)}`, REGISTRATIONS_PER_IP);
    if (!limit.allowed) throw OAuthError.tooMany("too_many_requests", "Too many registrations from this address. Try again in a minute.", limit.retryAfterSeconds);
    const registration = await registerClient(db, body);
    if (!registration.ok) throw new OAuthError(400, registration.error, registration.description);
    return oauthJson(registration.response, 201);
  });
});

export const OPTIONS = corsPreflight;
