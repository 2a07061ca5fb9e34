import "server-only";
import { lookup as dnsLookup } from "node:dns/promises";
import http, { type IncomingHttpHeaders, type RequestOptions } from "node:http";
import https from "node:https";
import { isIP, type LookupFunction } from "node:net";
import { KNOWN_CLIENT_DOCUMENTS } from "./known-client-documents";
import { isPublicUnicastAddress } from "./public-address";

/*
 * OAuth Client ID Metadata Documents (CIMD): a client_id that is an https URL names a JSON document
 * describing the client, which the authorization server fetches (MCP authorization 2025-11-25 and
 * 2026-07-28 client-registration; draft-ietf-oauth-client-id-metadata-document, "the draft" below).
 * The fetch is an unauthenticated, attacker-chosen URL fetched from our network, so it is fenced
 * (draft §6.5 SSRF): https on 443, every resolved address public, connection pinned to the address
 * checked, no redirects, 200 + JSON only, 5 KB, 5 s, bounded caches.
 */

const MAX_CLIENT_ID_LENGTH = 2048;
const MAX_DOCUMENT_BYTES = 5 * 1024; // documents in the wild are < 1 KB; workers-oauth-provider uses 5 KB
const FETCH_DEADLINE_MS = 5_000; // one deadline for DNS, connect, TLS, headers and body (slow trickle)
const MIN_CACHE_MS = 5 * 60_000;
const MAX_CACHE_MS = 24 * 60 * 60_000; // SEP-991 recommends caching at most 24 hours
const DEFAULT_CACHE_MS = 60 * 60_000;
const FAILURE_CACHE_MS = 60_000; // so repeated /authorize hits on a bad URL do not make us a fetch amplifier
const CACHE_ENTRIES = 500;
const MAX_CLIENT_NAME_LENGTH = 200;
const MAX_URI_LENGTH = 2048;

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);
// Schemes a browser or OS would run or read locally instead of handing to an app (RFC 8252 §7.1 private-use
// schemes such as cursor:// stay allowed).
const REFUSED_REDIRECT_SCHEMES = new Set([
  "javascript:",
  "data:",
  "vbscript:",
  "file:",
  "blob:",
  "about:",
  "filesystem:",
  "ftp:",
  "ws:",
  "wss:",
]);
// RFC 7591 §2 secret-based methods, and anything else we cannot verify: a CIMD client is public (draft §4.1).
const PUBLIC_AUTH_METHOD = "none";

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
export type DocumentResponse = { statusCode?: number; headers: IncomingHttpHeaders } & AsyncIterable<
  Uint8Array | string
>;

/**
 * Sends GET `url`, connecting to `address` (the one the guard checked) when given. Must reject on any
 * failure before the status line, and should stop when `signal` aborts.
 */
export type DocumentRequester = (
  url: URL,
  address: ResolvedAddress | null,
  signal: AbortSignal,
) => Promise<DocumentResponse>;

export interface ResolveClientMetadataOptions {
  /** DNS resolution; defaults to node:dns/promises lookup with all: true. */
  lookup?: (hostname: string) => Promise<ResolvedAddress[]>;
  /** The HTTP exchange; defaults to {@link requestClientMetadataDocument}. */
  request?: DocumentRequester;
  now?: () => number;
  /** Defaults to the process-wide cache. */
  cache?: ClientMetadataCache;
  /** Defaults to {@link cimdTestOverride}(); pass null to ignore the test switches. */
  testOverride?: ((url: URL) => string | null) | null;
  /** Tests only shorten it; production uses 5 s. */
  deadlineMs?: number;
  /**
   * Asked before a document is fetched (not when a cached one answers): whoever sent the request may
   * make the server fetch so many unknown addresses and no more. Absent: no limit.
   */
  mayFetch?: () => Promise<{ allowed: true } | { allowed: false; retryAfterSeconds: number }>;
}

/** Short name used by the OAuth handlers. */
export type ResolveOptions = ResolveClientMetadataOptions;

type ValidatedClient = Omit<ClientMetadataDocumentClient, "source">;

type Failure = {
  error: ClientMetadataErrorCode;
  reason: ClientMetadataFailureReason;
  description: string;
  /** No HTTP answer at all (DNS, connect, TLS, timeout before the status line): a pinned copy may stand in. */
  beforeAnyAnswer: boolean;
};

type FetchOutcome = { ok: true; client: ValidatedClient; lifetimeMs: number } | { ok: false; failure: Failure };

/**
 * Whether `clientId` is a Client ID Metadata Document URL this server will fetch (draft §3): https,
 * default port 443, a path other than "/", no fragment, no userinfo, no dot segments. The raw string is
 * checked too, because the URL parser silently drops whitespace, rewrites "\" and resolves dot segments,
 * and the document must name the client_id byte for byte. An IP-literal host is allowed here and refused
 * later unless it is a public address.
 */
export function parseClientIdUrl(clientId: string): URL | null {
  if (clientId.length > MAX_CLIENT_ID_LENGTH || !clientId.startsWith("https://")) return null;
  // Whitespace, controls, backslashes and fragments never survive the parser unchanged.
  if (/[\s\u0000-\u001f\u007f\\#]/.test(clientId)) return null;

  const rest = clientId.slice("https://".length);
  const authorityEnd = rest.search(/[/?]/);
  const authority = authorityEnd === -1 ? rest : rest.slice(0, authorityEnd);
  if (authority.includes("@")) return null;
  const rawPath = authorityEnd === -1 ? "" : rest.slice(authorityEnd).split("?")[0] ?? "";
  const hasDotSegment = rawPath
    .split("/")
    .some((segment) => /^(\.|%2e){1,2}$/i.test(segment));
  if (hasDotSegment) return null;

  let url: URL;
  try {
    url = new URL(clientId);
  } catch {
    return null;
  }
  if (url.protocol !== "https:" || url.username !== "" || url.password !== "" || url.hash !== "") return null;
  // The parser elides the default port, so "" covers both "no port" and an explicit ":443".
  if (url.port !== "" || url.hostname === "") return null;
  if (url.pathname === "" || url.pathname === "/") return null;
  return url;
}

/**
 * Resolves a CIMD client_id to a validated public client. Order: a fresh cached document; a cached
 * failure (60 s); otherwise one fetch shared by concurrent callers. A pinned copy of a well-known
 * client's document stands in only when the fetch got no HTTP answer at all.
 */
export async function resolveClientMetadataDocument(
  clientId: string,
  options: ResolveClientMetadataOptions = {},
): Promise<ResolveClientMetadataResult> {
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

/**
 * Validates a parsed document against the client_id it was fetched from (draft §4 and §4.1; MCP
 * client-registration: client_id equal by simple string comparison, client_name and redirect_uris
 * checked). `detail` completes the sentence "The document is not acceptable: …".
 */
export function validateClientMetadataDocument(
  clientId: string,
  document: unknown,
): { ok: true; client: ValidatedClient } | { ok: false; detail: string } {
  const url = parseClientIdUrl(clientId);
  if (!url) return { ok: false, detail: "its client_id is not a valid metadata document address" };
  if (typeof document !== "object" || document === null || Array.isArray(document)) {
    return { ok: false, detail: "it is not a JSON object" };
  }
  const fields = document as Record<string, unknown>;

  if (fields.client_id !== clientId) {
    return { ok: false, detail: "its client_id does not match the address it was fetched from" };
  }
  // Draft §4.1: a document is public, so it MUST NOT carry a secret.
  if ("client_secret" in fields || "client_secret_expires_at" in fields) {
    return { ok: false, detail: "it contains a client secret, which a public document must never carry" };
  }

  const authMethodProblem = publicAuthMethodProblem(fields);
  if (authMethodProblem) return { ok: false, detail: authMethodProblem };

  const redirectUris = fields.redirect_uris;
  if (!Array.isArray(redirectUris) || redirectUris.length === 0) {
    return { ok: false, detail: "it lists no redirect_uris" };
  }
  const validRedirectUris: string[] = [];
  for (const candidate of redirectUris) {
    if (typeof candidate !== "string" || !isAcceptableRedirectUri(candidate)) {
      return {
        ok: false,
        detail:
          "one of its redirect_uris is not an acceptable address (https, http on a loopback host, or an app scheme; no fragment)",
      };
    }
    validRedirectUris.push(candidate);
  }

  let clientName = url.hostname;
  if (fields.client_name !== undefined) {
    if (typeof fields.client_name !== "string") return { ok: false, detail: "its client_name is not text" };
    const trimmed = fields.client_name.trim();
    // Control and bidi-override characters could disguise the name on the consent page.
    if (trimmed.length > MAX_CLIENT_NAME_LENGTH || /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/.test(trimmed)) {
      return { ok: false, detail: "its client_name is too long or contains control characters" };
    }
    if (trimmed !== "") clientName = trimmed;
  }

  // RFC 7591 §2: grant_types defaults to ["authorization_code"].
  let grantTypes = ["authorization_code"];
  if (fields.grant_types !== undefined) {
    if (!isStringArray(fields.grant_types)) return { ok: false, detail: "its grant_types is not a list of strings" };
    grantTypes = fields.grant_types;
  }
  if (!grantTypes.includes("authorization_code")) {
    return { ok: false, detail: "it does not use the authorization code flow" };
  }
  if (fields.response_types !== undefined) {
    if (!isStringArray(fields.response_types) || !fields.response_types.includes("code")) {
      return { ok: false, detail: "its response_types does not include code" };
    }
  }

  const client: ValidatedClient = {
    clientId,
    clientName,
    redirectUris: validRedirectUris,
    tokenEndpointAuthMethod: PUBLIC_AUTH_METHOD,
    grantTypes,
    host: url.hostname,
  };
  for (const [field, key] of [
    ["client_uri", "clientUri"],
    ["logo_uri", "logoUri"],
  ] as const) {
    const value = fields[field];
    if (value === undefined) continue;
    if (typeof value !== "string" || !isHttpsUri(value)) {
      return { ok: false, detail: `its ${field} is not an https address` };
    }
    client[key] = value;
  }
  return { ok: true, client };
}

/**
 * Maps an https `*.test` client_id (RFC 2606 reserved TLD) to the same path on CIMD_TEST_ORIGIN, so
 * end-to-end tests through `next start` can serve documents from a local http server. In that mode the
 * DNS/address check is skipped for those hosts and every other rule still applies.
 *
 * These two variables are read here rather than in src/env.ts on purpose: CARESTRAL_TEST_BUILD must
 * appear literally as `process.env.CARESTRAL_TEST_BUILD` so next.config can inline it into the test
 * build only (a production build then carries a constant that can never be "1"), and CIMD_TEST_ORIGIN
 * means nothing without it. Only a loopback http origin is accepted.
 */
export function cimdTestOverride(): ((url: URL) => string | null) | null {
  if (process.env.CARESTRAL_TEST_BUILD !== "1") return null;
  const configured = process.env.CIMD_TEST_ORIGIN;
  if (!configured) return null;
  let origin: URL;
  try {
    origin = new URL(configured);
  } catch {
    return null;
  }
  if (origin.protocol !== "http:" || !LOOPBACK_HOSTS.has(origin.hostname)) return null;

  return (url) => {
    if (url.protocol !== "https:" || !url.hostname.endsWith(".test")) return null;
    // Concatenated, not resolved against the origin: a path like "//elsewhere/x" must stay a path.
    const mapped = new URL(`${origin.origin}${url.pathname}${url.search}`);
    return mapped.origin === origin.origin ? mapped.href : null;
  };
}

/**
 * The production requester: GET over node:https with the socket pinned to the checked address (the
 * `lookup` hook answers with it, so a second DNS answer cannot rebind us to an internal host), while TLS
 * SNI, certificate verification and Host still use the hostname. No agent, so no pooled socket bypasses
 * the pin; node's http client never follows redirects. Plain http is used only for a test-override URL.
 */
export function requestClientMetadataDocument(
  url: URL,
  address: ResolvedAddress | null,
  signal: AbortSignal,
): Promise<DocumentResponse> {
  const secure = url.protocol === "https:";
  const hostname = unbracket(url.hostname);
  const options: RequestOptions & { servername?: string } = {
    method: "GET",
    host: hostname,
    port: url.port === "" ? (secure ? 443 : 80) : Number(url.port),
    path: `${url.pathname}${url.search}`,
    headers: { accept: "application/json", "user-agent": "Carestral-CIMD-Fetcher" },
    agent: false,
    signal,
  };
  if (address) options.lookup = pinnedLookup(address);
  if (secure && isIP(hostname) === 0) options.servername = hostname;

  return new Promise((resolve, reject) => {
    const request = (secure ? https : http).request(options, resolve);
    request.on("error", reject);
    request.end();
  });
}

/** Bounded LRU caches of good documents and of failures, plus the fetches in flight. */
export class ClientMetadataCache {
  private readonly documents = new Map<string, { client: ValidatedClient; expiresAt: number }>();
  private readonly failures = new Map<string, { outcome: FetchOutcome & { ok: false }; expiresAt: number }>();
  private readonly inFlight = new Map<string, Promise<FetchOutcome>>();

  constructor(private readonly maxEntries: number = CACHE_ENTRIES) {}

  getDocument(clientId: string, now: number): ValidatedClient | null {
    return this.touch(this.documents, clientId, now)?.client ?? null;
  }

  getFailure(clientId: string, now: number): (FetchOutcome & { ok: false }) | null {
    return this.touch(this.failures, clientId, now)?.outcome ?? null;
  }

  store(clientId: string, outcome: FetchOutcome, now: number): void {
    if (outcome.ok) {
      this.failures.delete(clientId);
      this.insert(this.documents, clientId, { client: outcome.client, expiresAt: now + outcome.lifetimeMs });
    } else {
      this.insert(this.failures, clientId, { outcome, expiresAt: now + FAILURE_CACHE_MS });
    }
  }

  /** Concurrent resolutions of one client_id share a single fetch. */
  shareFetch(clientId: string, fetch: () => Promise<FetchOutcome>): Promise<FetchOutcome> {
    const pending = this.inFlight.get(clientId);
    if (pending) return pending;
    const started = fetch().finally(() => this.inFlight.delete(clientId));
    this.inFlight.set(clientId, started);
    return started;
  }

  private touch<T extends { expiresAt: number }>(map: Map<string, T>, key: string, now: number): T | null {
    const entry = map.get(key);
    if (!entry) return null;
    map.delete(key);
    if (entry.expiresAt <= now) return null;
    map.set(key, entry); // most recently used goes last
    return entry;
  }

  private insert<T>(map: Map<string, T>, key: string, value: T): void {
    map.delete(key);
    map.set(key, value);
    for (const oldest of map.keys()) {
      if (map.size <= this.maxEntries) break;
      map.delete(oldest);
    }
  }
}

// One per server process: documents are public and identical for every user.
const processCache = new ClientMetadataCache();

async function fetchClientMetadataDocument(
  clientId: string,
  url: URL,
  options: ResolveClientMetadataOptions,
): Promise<FetchOutcome> {
  const host = url.hostname;
  const lookup = options.lookup ?? lookupAllAddresses;
  const request = options.request ?? requestClientMetadataDocument;
  const override = options.testOverride === undefined ? cimdTestOverride() : options.testOverride;
  const deadlineMs = options.deadlineMs ?? FETCH_DEADLINE_MS;
  const fail = (
    error: ClientMetadataErrorCode,
    reason: ClientMetadataFailureReason,
    description: string,
    beforeAnyAnswer = false,
  ): FetchOutcome => ({ ok: false, failure: { error, reason, description, beforeAnyAnswer } });
  // `beforeAnyAnswer` is false once a status line has arrived: no pinned copy stands in for an answer.
  const unreachable = (signal: AbortSignal, beforeAnyAnswer: boolean): FetchOutcome =>
    signal.aborted
      ? fail(
          "fetch_failed",
          "timeout",
          `The app's metadata document at ${host} did not arrive within ${deadlineMs / 1000} seconds.`,
          beforeAnyAnswer,
        )
      : fail(
          "fetch_failed",
          "network",
          `The app's metadata document at ${host} could not be fetched: the connection failed.`,
          beforeAnyAnswer,
        );

  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), deadlineMs);
  try {
    const mapped = override?.(url) ?? null;
    let target = url;
    let address: ResolvedAddress | null = null;
    if (mapped) {
      target = new URL(mapped);
    } else {
      let addresses: ResolvedAddress[];
      try {
        const literal = unbracket(url.hostname);
        const family = isIP(literal);
        addresses =
          family === 4 || family === 6
            ? [{ address: literal, family }]
            : await withDeadline(lookup(url.hostname), controller.signal);
      } catch {
        return unreachable(controller.signal, true);
      }
      if (addresses.length === 0) return unreachable(controller.signal, true);
      // Every address, not just the one we use: a host that also resolves inside our network is refused.
      if (!addresses.every((candidate) => isPublicUnicastAddress(candidate.address))) {
        return fail(
          "fetch_failed",
          "address_refused",
          `The app's metadata document cannot be fetched: ${host} points to an address that is not on the public internet.`,
        );
      }
      address = addresses[0] ?? null;
    }

    let response: DocumentResponse;
    try {
      response = await withDeadline(request(target, address, controller.signal), controller.signal);
    } catch {
      return unreachable(controller.signal, true);
    }

    const status = response.statusCode ?? 0;
    if (status >= 300 && status < 400) {
      // An open redirect on a trusted host would otherwise let anyone serve that host's document.
      return fail(
        "fetch_failed",
        "redirect",
        `The app's metadata document at ${host} answered with a redirect (HTTP ${status}); a metadata document must be served directly.`,
      );
    }
    if (status !== 200) {
      return fail("fetch_failed", "http_status", `The app's metadata document at ${host} answered with HTTP ${status}.`);
    }
    if (!isJsonContentType(response.headers["content-type"])) {
      return fail("invalid_document", "content_type", `The app's metadata document at ${host} is not served as JSON.`);
    }
    const tooLarge = fail("invalid_document", "too_large", `The app's metadata document at ${host} is larger than 5 KB.`);
    const declaredLength = Number(response.headers["content-length"]);
    if (Number.isFinite(declaredLength) && declaredLength > MAX_DOCUMENT_BYTES) return tooLarge;

    const body = await readBody(response, MAX_DOCUMENT_BYTES, controller.signal);
    if (body === "too_large") return tooLarge;
    if (body === "failed") return unreachable(controller.signal, false);

    let document: unknown;
    try {
      document = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body));
    } catch {
      return fail("invalid_document", "malformed_json", `The app's metadata document at ${host} is not valid JSON.`);
    }
    const validation = validateClientMetadataDocument(clientId, document);
    if (!validation.ok) {
      return fail("invalid_document", "invalid_metadata", `The app's metadata document at ${host} is not acceptable: ${validation.detail}.`);
    }
    return { ok: true, client: validation.client, lifetimeMs: cacheLifetimeMs(response.headers["cache-control"]) };
  } finally {
    clearTimeout(timer);
    controller.abort(); // releases the socket whatever state the exchange stopped in
  }
}

/**
 * How long to keep a good document: Cache-Control max-age clamped to [5 min, 24 h], 1 h without one.
 * no-store and no-cache still get the 5-minute floor: one authorization (authorize, consent, token) needs
 * the document several times, and refetching each time would let a client make us fetch on demand.
 */
function cacheLifetimeMs(header: string | string[] | undefined): number {
  const directives = (Array.isArray(header) ? header.join(",") : header ?? "")
    .toLowerCase()
    .split(",")
    .map((directive) => directive.trim());
  if (directives.includes("no-store") || directives.includes("no-cache")) return MIN_CACHE_MS;
  for (const directive of directives) {
    const maxAge = /^max-age\s*=\s*"?(\d+)"?$/.exec(directive);
    if (maxAge?.[1] !== undefined) {
      return Math.min(MAX_CACHE_MS, Math.max(MIN_CACHE_MS, Number(maxAge[1]) * 1000));
    }
  }
  return DEFAULT_CACHE_MS;
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

/**
 * Draft §4.1: the document must not claim a secret-based method. ChatGPT names private_key_jwt but
 * also lists "none" among the methods it supports; we do not verify client assertions, so it is taken
 * as a public client with PKCE (as workers-oauth-provider v1.2.2 does).
 */
function publicAuthMethodProblem(fields: Record<string, unknown>): string | null {
  const method = fields.token_endpoint_auth_method;
  if (method === undefined || method === PUBLIC_AUTH_METHOD) return null;
  const supported = fields.token_endpoint_auth_methods_supported;
  if (method === "private_key_jwt" && isStringArray(supported) && supported.includes(PUBLIC_AUTH_METHOD)) return null;
  return "it asks for a token endpoint authentication method other than none, and this server accepts only public clients";
}

function isAcceptableRedirectUri(value: string): boolean {
  if (value.length > MAX_URI_LENGTH || /[\s\u0000-\u001f\u007f\\#]/.test(value)) return false;
  let uri: URL;
  try {
    uri = new URL(value);
  } catch {
    return false;
  }
  if (uri.username !== "" || uri.password !== "") return false;
  if (uri.protocol === "https:") return uri.hostname !== "";
  // RFC 8252 §7.3: plain http only for the loopback interface.
  if (uri.protocol === "http:") return LOOPBACK_HOSTS.has(uri.hostname);
  // RFC 8252 §7.1 private-use schemes (cursor://...).
  return !REFUSED_REDIRECT_SCHEMES.has(uri.protocol);
}

function isHttpsUri(value: string): boolean {
  if (value.length > MAX_URI_LENGTH || /[\s\u0000-\u001f\u007f\\]/.test(value)) return false;
  try {
    const uri = new URL(value);
    return uri.protocol === "https:" && uri.hostname !== "" && uri.username === "" && uri.password === "";
  } catch {
    return false;
  }
}

function isJsonContentType(header: string | undefined): boolean {
  const mediaType = header?.split(";")[0]?.trim().toLowerCase() ?? "";
  return mediaType === "application/json" || /^application\/[a-z0-9.!#$&^_-]+\+json$/.test(mediaType);
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === "string");
}

function unbracket(hostname: string): string {
  return hostname.startsWith("[") && hostname.endsWith("]") ? hostname.slice(1, -1) : hostname;
}

async function lookupAllAddresses(hostname: string): Promise<ResolvedAddress[]> {
  const results = await dnsLookup(hostname, { all: true, verbatim: true });
  return results.map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));
}

function pinnedLookup(address: ResolvedAddress): LookupFunction {
  return (_hostname, options, callback) => {
    // Node asks for all addresses when autoSelectFamily (happy eyeballs) is on.
    if (options.all) callback(null, [{ address: address.address, family: address.family }]);
    else callback(null, address.address, address.family);
  };
}

/** Reads at most `limit` bytes before the deadline; stops (and releases the stream) as soon as it is passed. */
async function readBody(
  body: AsyncIterable<Uint8Array | string>,
  limit: number,
  signal: AbortSignal,
): Promise<Uint8Array | "too_large" | "failed"> {
  const iterator = body[Symbol.asyncIterator]();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const next = await withDeadline(iterator.next(), signal);
      if (next.done) break;
      const chunk = typeof next.value === "string" ? Buffer.from(next.value) : next.value;
      total += chunk.byteLength;
      if (total > limit) return "too_large";
      chunks.push(chunk);
    }
  } catch {
    return "failed";
  } finally {
    iterator.return?.()?.catch(() => undefined);
  }
  return Buffer.concat(chunks);
}

/** Settles with `promise`, or rejects as soon as `signal` aborts (a DNS lookup cannot be cancelled). */
function withDeadline<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error("deadline exceeded"));
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}
