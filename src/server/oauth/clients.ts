import { timingSafeEqual } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import { z } from "zod";
import { clientIpFromHeaders } from "~/server/auth/client-ip";
import { consumeRateLimit } from "~/server/auth/rate-limit";
import type { Database } from "~/server/db/client";
import { deleteBatch, purgeInBatches, type PurgeOptions } from "~/server/db/purge";
import { oauthClients } from "~/server/db/schema";
import { hashToken, randomBase62 } from "~/server/tokens/token";
import { parseClientIdUrl, resolveClientMetadataDocument, type ResolveOptions } from "./client-metadata";
import { clientNameSchema, httpsUriSchema } from "./client-metadata/rules";
import { OAuthError } from "./errors";
import { redirectUriKind } from "./redirect-uri";

// OAuth clients: Client ID Metadata Documents first (a client_id that is an https URL), dynamic client
// registration (RFC 7591) as the fallback. DESIGN: OAuth 2.1 for MCP clients.

export type ClientAuthMethod = "none" | "client_secret_post" | "client_secret_basic";

export interface OAuthClient {
  clientId: string;
  /** The name the client gives itself: self-asserted, so the consent page leads with `verifiedHost`. */
  name: string;
  /** The host that vouches for the client: the client_id URL's host for CIMD; null for DCR (unverified). */
  verifiedHost: string | null;
  redirectUris: string[];
  authMethod: ClientAuthMethod;
  grantTypes: string[];
  secretHash: string | null;
}

export type ClientLookup = { ok: true; client: OAuthClient } | { ok: false; description: string };

const DCR_CLIENT_ID_PATTERN = /^dcr_[0-9A-Za-z]{32}$/;

/**
 * Metadata documents one client address may make us fetch per minute. Only fetches count: a document
 * already cached (5 minutes at least) and the pinned vendor documents cost nothing, so this bites only on
 * someone sending made-up client_id URLs to use the server as a fetcher.
 */
export const DOCUMENT_FETCHES_PER_IP = { limit: 30, windowMs: 60_000 };

/** ResolveOptions that count document fetches against the requester's address (shared by every instance). */
export function documentFetchesLimitedFor(db: Database, headers: Headers): ResolveOptions {
  const key = `cimd:ip:${clientIpFromHeaders(headers)}`;
  return { mayFetch: () => consumeRateLimit(db, key, DOCUMENT_FETCHES_PER_IP) };
}

/** Finds the client a request names, fetching its metadata document when client_id is a URL. */
export async function findClient(db: Database, clientId: string, options?: ResolveOptions): Promise<ClientLookup> {
  if (parseClientIdUrl(clientId)) {
    const resolved = await resolveClientMetadataDocument(clientId, options);
    if (!resolved.ok) return { ok: false, description: resolved.description };
    const { client } = resolved;
    return {
      ok: true,
      client: {
        clientId: client.clientId,
        name: client.clientName,
        verifiedHost: client.host,
        redirectUris: client.redirectUris,
        authMethod: "none",
        grantTypes: client.grantTypes,
        secretHash: null,
      },
    };
  }
  if (!DCR_CLIENT_ID_PATTERN.test(clientId)) {
    return { ok: false, description: "The application's client_id is not one Carestral knows. Ask its developer to register it again." };
  }
  const [row] = await db.select().from(oauthClients).where(eq(oauthClients.id, clientId)).limit(1);
  if (!row) {
    return { ok: false, description: "This application's registration is unknown or has expired. Remove the server in the application and add it again." };
  }
  return {
    ok: true,
    client: {
      clientId: row.id,
      name: row.name,
      verifiedHost: null,
      redirectUris: row.redirectUris,
      authMethod: row.tokenEndpointAuthMethod as ClientAuthMethod,
      grantTypes: row.grantTypes,
      secretHash: row.secretHash,
    },
  };
}

/** Records that a client exchanged a code: registrations never used expire (see registerClient). */
export async function markClientUsed(db: Database, clientId: string): Promise<void> {
  if (!DCR_CLIENT_ID_PATTERN.test(clientId)) return;
  await db.update(oauthClients).set({ lastUsedAt: sql`now()` }).where(eq(oauthClients.id, clientId));
}

// ---- Dynamic client registration (RFC 7591) ----

const SUPPORTED_GRANT_TYPES = ["authorization_code", "refresh_token"];
const UNUSED_CLIENT_LIFETIME = "1 day";

// Shown or linked to people (a logo, terms): https only, never javascript:, data: or a plain-http page.
const optionalUrl = httpsUriSchema.optional();

const registrationSchema = z.object({
  redirect_uris: z
    .array(z.string().max(2048), { error: "redirect_uris is required: a list of the URIs to send the user back to" })
    .min(1, "redirect_uris must list at least one URI")
    .max(10, "redirect_uris may list at most 10 URIs"),
  // RFC 7591 §2: client_secret_basic when absent.
  token_endpoint_auth_method: z
    .enum(["none", "client_secret_post", "client_secret_basic"], {
      error: "token_endpoint_auth_method must be none, client_secret_post or client_secret_basic",
    })
    .default("client_secret_basic"),
  grant_types: z.array(z.string().max(200)).max(10).default(["authorization_code"]),
  response_types: z.array(z.string().max(50)).max(5).default(["code"]),
  client_name: clientNameSchema.optional(),
  client_uri: optionalUrl,
  logo_uri: optionalUrl,
  tos_uri: optionalUrl,
  policy_uri: optionalUrl,
  scope: z.string().max(500).optional(),
  contacts: z.array(z.string().max(200)).max(5).optional(),
  application_type: z.enum(["web", "native"]).optional(),
  software_id: z.string().max(200).optional(),
  software_version: z.string().max(100).optional(),
});

const ECHOED_FIELDS = ["client_uri", "logo_uri", "tos_uri", "policy_uri", "scope", "contacts", "application_type", "software_id", "software_version"] as const;

export type Registration =
  | { ok: true; response: Record<string, unknown> }
  | { ok: false; error: "invalid_redirect_uri" | "invalid_client_metadata"; description: string };

/**
 * Registers a client and answers as RFC 7591 §3.2.1 says: the client_id, a secret for confidential clients
 * (stored only as a hash), and the metadata as registered. Absent fields are omitted, never null: Claude
 * Code's parser rejects a null. Registrations never used within a day go (purgeUnusedClients).
 */
export async function registerClient(db: Database, body: unknown): Promise<Registration> {
  const parsed = registrationSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join(".") || "body";
    const error = field.startsWith("redirect_uris") ? "invalid_redirect_uri" : "invalid_client_metadata";
    return { ok: false, error, description: `${field}: ${issue?.message ?? "invalid"}` };
  }
  const metadata = parsed.data;
  const badUri = metadata.redirect_uris.find((uri) => redirectUriKind(uri) === null);
  if (badUri !== undefined) {
    return {
      ok: false,
      error: "invalid_redirect_uri",
      description: `Redirect URI "${badUri.slice(0, 200)}" is not allowed: use https, http on localhost/127.0.0.1/[::1], or a private-use scheme such as myapp://, with no fragment, credentials or spaces.`,
    };
  }
  if (!metadata.response_types.includes("code")) {
    return { ok: false, error: "invalid_client_metadata", description: 'response_types must include "code".' };
  }
  // Grant types we do not offer (jwt-bearer, device code…) are dropped from the registration rather than refused:
  // clients list what they can do, and refusing the whole registration would lock them out.
  const grantTypes = SUPPORTED_GRANT_TYPES.filter((type) => metadata.grant_types.includes(type));
  if (!grantTypes.includes("authorization_code")) {
    return { ok: false, error: "invalid_client_metadata", description: 'grant_types must include "authorization_code".' };
  }

  const clientId = `dcr_${randomBase62(32)}`;
  const confidential = metadata.token_endpoint_auth_method !== "none";
  const secret = confidential ? `mcps_${randomBase62(43)}` : null;
  const name = metadata.client_name ?? new URL(metadata.redirect_uris[0] ?? "about:blank").host ?? "MCP client";
  const echoed = Object.fromEntries(ECHOED_FIELDS.filter((field) => metadata[field] !== undefined).map((field) => [field, metadata[field]]));

  const [row] = await db
    .insert(oauthClients)
    .values({
      id: clientId,
      name: name || "MCP client",
      redirectUris: metadata.redirect_uris,
      tokenEndpointAuthMethod: metadata.token_endpoint_auth_method,
      grantTypes,
      secretHash: secret === null ? null : hashToken(secret),
      metadata: echoed,
    })
    .returning({ createdAt: oauthClients.createdAt });

  return {
    ok: true,
    response: {
      client_id: clientId,
      client_id_issued_at: Math.floor((row?.createdAt ?? new Date()).getTime() / 1000),
      ...(secret === null ? {} : { client_secret: secret, client_secret_expires_at: 0 }),
      redirect_uris: metadata.redirect_uris,
      token_endpoint_auth_method: metadata.token_endpoint_auth_method,
      grant_types: grantTypes,
      response_types: ["code"],
      ...(metadata.client_name === undefined ? {} : { client_name: metadata.client_name }),
      ...echoed,
    },
  };
}

/**
 * Deletes registrations that never exchanged a code within a day of registering, in bounded batches: the
 * background purges job. Anyone may register (RFC 7591), so abandoned registrations would pile up; a client that
 * comes back with a deleted client_id gets invalid_client and registers again, as the MCP clients do. Used
 * registrations stay: their grants' refresh tokens authenticate with them.
 */
export async function purgeUnusedClients(db: Database, options: PurgeOptions = {}): Promise<number> {
  const unused = sql`${oauthClients.lastUsedAt} is null and ${oauthClients.createdAt} < now() - ${UNUSED_CLIENT_LIFETIME}::interval`;
  return purgeInBatches((batchSize) => deleteBatch(db, oauthClients, oauthClients.id, unused, batchSize), options);
}

// ---- Client authentication at the token and revocation endpoints (RFC 6749 §2.3) ----

/**
 * Identifies and authenticates the client of a token or revocation request: HTTP Basic, or client_id (and
 * client_secret) in the form. A public client proves itself with PKCE instead; a confidential one needs its secret.
 * Throws the OAuthError to answer otherwise.
 */
export async function authenticateClient(db: Database, headers: Headers, form: URLSearchParams, options?: ResolveOptions): Promise<OAuthClient> {
  const basic = readBasicCredentials(headers.get("authorization"));
  if (basic === "malformed") throw invalidClient("The Authorization header is not valid HTTP Basic credentials.");
  const clientId = basic?.clientId ?? form.get("client_id");
  const secret = basic?.secret ?? form.get("client_secret");
  if (!clientId) throw new OAuthError(400, "invalid_request", "client_id is required.");
  if (basic && form.get("client_id") !== null && form.get("client_id") !== basic.clientId) {
    throw invalidClient("client_id in the body differs from the one in the Authorization header.");
  }

  // The requester's address pays for any metadata document fetched on its behalf.
  const lookup = await findClient(db, clientId, { ...documentFetchesLimitedFor(db, headers), ...options });
  // 401 invalid_client makes Claude and the MCP SDK register again, which is what a lost registration needs.
  if (!lookup.ok) throw invalidClient(lookup.description);
  const { client } = lookup;
  if (client.secretHash !== null) {
    if (!secret || !sameHash(hashToken(secret), client.secretHash)) throw invalidClient("The client secret is missing or wrong.");
  }
  return client;
}

function invalidClient(description: string): OAuthError {
  return new OAuthError(401, "invalid_client", description);
}

/** HTTP Basic client credentials (RFC 6749 §2.3.1), null when absent, "malformed" when unreadable. */
export function readBasicCredentials(authorization: string | null): { clientId: string; secret: string } | null | "malformed" {
  if (!authorization) return null;
  const match = /^Basic[ \t]+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization);
  if (!match?.[1]) return /^Basic\b/i.test(authorization) ? "malformed" : null;
  const decoded = Buffer.from(match[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return "malformed";
  try {
    // RFC 6749 §2.3.1: both parts are form-urlencoded before they are joined.
    return { clientId: decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, " ")), secret: decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, " ")) };
  } catch {
    return "malformed";
  }
}

function sameHash(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}
