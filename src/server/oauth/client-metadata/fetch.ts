import "server-only";
import { lookup as dnsLookup } from "node:dns/promises";
import http, { type RequestOptions } from "node:http";
import https from "node:https";
import { isIP, type LookupFunction } from "node:net";
import { isPublicUnicastAddress } from "../public-address";
import { LOOPBACK_HOSTS } from "../redirect-uri";
import { cacheLifetimeMs } from "./cache";
import { validateClientMetadataDocument } from "./document";
import { MAX_CLIENT_METADATA_BYTES } from "./rules";
import type { ClientMetadataErrorCode, ClientMetadataFailureReason, DocumentResponse, FetchOptions, FetchOutcome, ResolvedAddress } from "./types";

/*
 * The fetch of a Client ID Metadata Document: an unauthenticated, attacker-chosen URL fetched from our network,
 * so it is fenced (draft §6.5 SSRF): https on 443, every resolved address public, connection pinned to the
 * address checked, no redirects, 200 + JSON only, 5 KB, 5 s.
 */

const FETCH_DEADLINE_MS = 5_000; // one deadline for DNS, connect, TLS, headers and body (slow trickle)

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

/**
 * Fetches and validates the document at `url` for `clientId`. Never throws: every failure is an outcome with the
 * sentence to show.
 */
export async function fetchClientMetadataDocument(
  clientId: string,
  url: URL,
  options: FetchOptions,
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
    if (Number.isFinite(declaredLength) && declaredLength > MAX_CLIENT_METADATA_BYTES) return tooLarge;

    const body = await readBody(response, MAX_CLIENT_METADATA_BYTES, controller.signal);
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

function isJsonContentType(header: string | undefined): boolean {
  const mediaType = header?.split(";")[0]?.trim().toLowerCase() ?? "";
  return mediaType === "application/json" || /^application\/[a-z0-9.!#$&^_-]+\+json$/.test(mediaType);
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
