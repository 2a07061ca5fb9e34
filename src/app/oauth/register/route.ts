import { clientIpFromHeaders } from "~/server/auth/client-ip";
import { consumeRateLimit } from "~/server/auth/rate-limit";
import { getDb, withDatabaseDeadline } from "~/server/db";
import { registerClient } from "~/server/oauth/clients";
import { MAX_CLIENT_METADATA_BYTES } from "~/server/oauth/client-metadata/rules";
import { oauthError, oauthJson, oauthServerError, readJsonObject } from "~/server/oauth/http";
import { corsPreflight } from "~/server/oauth/metadata";

export const dynamic = "force-dynamic";

// Generous: Claude registers from a shared range of addresses, once per new connection.
const REGISTRATIONS_PER_IP = { limit: 30, windowMs: 60_000 };

/** RFC 7591 dynamic client registration, the fallback for clients without a metadata document. */
export async function POST(request: Request): Promise<Response> {
  // The same bound as a client metadata document: one client's self-description, never more.
  const body = await readJsonObject(request, "invalid_client_metadata", MAX_CLIENT_METADATA_BYTES);
  if (!body.ok) return body.response;
  try {
    return await withDatabaseDeadline(
      (async () => {
        const db = await getDb();
        const limit = await consumeRateLimit(db, `register:ip:${clientIpFromHeaders(request.headers)}`, REGISTRATIONS_PER_IP);
        if (!limit.allowed) {
          return oauthError(429, "too_many_requests", "Too many registrations from this address. Try again in a minute.", {
            "Retry-After": String(limit.retryAfterSeconds),
          });
        }
        const registration = await registerClient(db, body.value);
        return registration.ok ? oauthJson(registration.response, 201) : oauthError(400, registration.error, registration.description);
      })(),
    );
  } catch (error) {
    return oauthServerError("registration", error);
  }
}

export const OPTIONS = corsPreflight;
