import "server-only";
import { KNOWN_CLIENT_DOCUMENTS } from "../known-client-documents";
import { ClientMetadataCache } from "./cache";
import { parseClientIdUrl } from "./client-id-url";
import { validateClientMetadataDocument } from "./document";
import { fetchClientMetadataDocument } from "./fetch";
import type { ClientMetadataDocumentClient, FetchOptions, FetchOutcome, ResolveClientMetadataResult, ValidatedClient } from "./types";

/*
 * OAuth Client ID Metadata Documents (CIMD): a client_id that is an https URL names a JSON document
 * describing the client, which the authorization server fetches (MCP authorization 2025-11-25 and
 * 2026-07-28 client-registration; draft-ietf-oauth-client-id-metadata-document, "the draft").
 * One module per reason to change: which client_id is a document URL (client-id-url.ts), what a client's
 * metadata may say, for documents and registrations alike (rules.ts, document.ts), the SSRF-safe fetch
 * (fetch.ts) and the cache (cache.ts). This file puts them in order.
 */

export { ClientMetadataCache } from "./cache";
export { parseClientIdUrl } from "./client-id-url";
export { validateClientMetadataDocument } from "./document";
export { cimdTestOverride, requestClientMetadataDocument } from "./fetch";
export type * from "./types";

export interface ResolveClientMetadataOptions extends FetchOptions {
  now?: () => number;
  /** Defaults to the process-wide cache. */
  cache?: ClientMetadataCache;
  /**
   * Asked before a document is fetched (not when a cached one answers): whoever sent the request may
   * make the server fetch so many unknown addresses and no more. Absent: no limit.
   */
  mayFetch?: () => Promise<{ allowed: true } | { allowed: false; retryAfterSeconds: number }>;
}

/** Short name used by the OAuth handlers. */
export type ResolveOptions = ResolveClientMetadataOptions;

// One per server process: documents are public and identical for every user.
const processCache = new ClientMetadataCache();

/**
 * Resolves a CIMD client_id to a validated public client. Order: a fresh cached document; a cached
 * failure (60 s); otherwise one fetch shared by concurrent callers. A pinned copy of a well-known
 * client's document stands in only when the fetch got no HTTP answer at all.
 */
export async function resolveClientMetadataDocument(clientId: string, options: ResolveClientMetadataOptions = {}): Promise<ResolveClientMetadataResult> {
  const url = parseClientIdUrl(clientId);
  if (!url) {
    return {
      ok: false,
      error: "invalid_client_id",
      reason: "malformed_client_id",
      description:
        "The app identified itself with a client_id that is not a valid metadata document address: it must be " +
        "an https URL on the standard port, with a path, and without a fragment, credentials or dot segments.",
    };
  }

  const now = options.now ?? Date.now;
  const cache = options.cache ?? processCache;
  const cached = cache.getDocument(clientId, now());
  if (cached) return { ok: true, client: withSource(cached, "cache") };

  const cachedFailure = cache.getFailure(clientId, now());
  if (!cachedFailure && options.mayFetch) {
    const allowance = await options.mayFetch();
    if (!allowance.allowed) {
      // Nothing fetched, so nothing cached: a well-known app still gets through on its pinned copy.
      const pinned = pinnedClient(clientId);
      if (pinned) return { ok: true, client: withSource(pinned, "pinned") };
      return {
        ok: false,
        error: "invalid_client_id",
        reason: "rate_limited",
        description:
          "Too many applications Carestral did not know yet were looked up from your address in the last minute. " +
          `Try again in ${allowance.retryAfterSeconds} seconds.`,
      };
    }
  }
  const outcome: FetchOutcome =
    cachedFailure ??
    (await cache.shareFetch(clientId, async () => {
      const fetched = await fetchClientMetadataDocument(clientId, url, options);
      cache.store(clientId, fetched, now());
      return fetched;
    }));
  if (outcome.ok) return { ok: true, client: withSource(outcome.client, "fetched") };

  const { failure } = outcome;
  if (failure.beforeAnyAnswer) {
    const pinned = pinnedClient(clientId);
    if (pinned) return { ok: true, client: withSource(pinned, "pinned") };
  }
  return { ok: false, error: failure.error, reason: failure.reason, description: failure.description };
}

/** A copy, so a caller editing its client cannot change the cached one. */
function withSource(client: ValidatedClient, source: ClientMetadataDocumentClient["source"]): ClientMetadataDocumentClient {
  return { ...client, redirectUris: [...client.redirectUris], grantTypes: [...client.grantTypes], source };
}

function pinnedClient(clientId: string): ValidatedClient | null {
  const document = KNOWN_CLIENT_DOCUMENTS.get(clientId);
  if (!document) return null;
  const validation = validateClientMetadataDocument(clientId, document);
  return validation.ok ? validation.client : null;
}
