import type { IncomingHttpHeaders } from "node:http";

// What resolving a Client ID Metadata Document produces, and the seams tests use (DNS, the HTTP exchange, clock).

export interface ClientMetadataDocumentClient {
  /** The client_id URL, exactly as the client sent it. */
  clientId: string;
  /** Self-asserted; the host below is what the consent page must lead with. */
  clientName: string;
  redirectUris: string[];
  clientUri?: string;
  logoUri?: string;
  tokenEndpointAuthMethod: "none";
  grantTypes: string[];
  /** The client_id URL's hostname (punycode for IDNs): the verified part of the client's identity. */
  host: string;
  source: "fetched" | "cache" | "pinned";
}

export type ValidatedClient = Omit<ClientMetadataDocumentClient, "source">;

export type ClientMetadataErrorCode = "invalid_client_id" | "fetch_failed" | "invalid_document";

/** Why a resolution failed, for logs and tests; `description` is the sentence for the user's error page. */
export type ClientMetadataFailureReason =
  | "malformed_client_id"
  | "address_refused"
  | "network"
  | "timeout"
  | "redirect"
  | "http_status"
  | "content_type"
  | "too_large"
  | "malformed_json"
  | "invalid_metadata"
  | "rate_limited";

export type ResolveClientMetadataResult =
  | { ok: true; client: ClientMetadataDocumentClient }
  | { ok: false; error: ClientMetadataErrorCode; reason: ClientMetadataFailureReason; description: string };

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** What a requester answers: node's IncomingMessage fits as is. */
export type DocumentResponse = { statusCode?: number; headers: IncomingHttpHeaders } & AsyncIterable<Uint8Array | string>;

/**
 * Sends GET `url`, connecting to `address` (the one the guard checked) when given. Must reject on any
 * failure before the status line, and should stop when `signal` aborts.
 */
export type DocumentRequester = (url: URL, address: ResolvedAddress | null, signal: AbortSignal) => Promise<DocumentResponse>;

export interface FetchOptions {
  /** DNS resolution; defaults to node:dns/promises lookup with all: true. */
  lookup?: (hostname: string) => Promise<ResolvedAddress[]>;
  /** The HTTP exchange; defaults to requestClientMetadataDocument. */
  request?: DocumentRequester;
  /** Defaults to cimdTestOverride(); pass null to ignore the test switches. */
  testOverride?: ((url: URL) => string | null) | null;
  /** Tests only shorten it; production uses 5 s. */
  deadlineMs?: number;
}

export type Failure = {
  error: ClientMetadataErrorCode;
  reason: ClientMetadataFailureReason;
  description: string;
  /** No HTTP answer at all (DNS, connect, TLS, timeout before the status line): a pinned copy may stand in. */
  beforeAnyAnswer: boolean;
};

export type FetchOutcome = { ok: true; client: ValidatedClient; lifetimeMs: number } | { ok: false; failure: Failure };
