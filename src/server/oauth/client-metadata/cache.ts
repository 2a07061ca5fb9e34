import type { FetchOutcome, ValidatedClient } from "./types";

// How long fetched metadata documents (and failures) are kept, per server process.

const MIN_CACHE_MS = 5 * 60_000;
const MAX_CACHE_MS = 24 * 60 * 60_000; // SEP-991 recommends caching at most 24 hours
const DEFAULT_CACHE_MS = 60 * 60_000;
const FAILURE_CACHE_MS = 60_000; // so repeated /authorize hits on a bad URL do not make us a fetch amplifier
const CACHE_ENTRIES = 500;

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

/**
 * How long to keep a good document: Cache-Control max-age clamped to [5 min, 24 h], 1 h without one.
 * no-store and no-cache still get the 5-minute floor: one authorization (authorize, consent, token) needs
 * the document several times, and refetching each time would let a client make us fetch on demand.
 */
export function cacheLifetimeMs(header: string | string[] | undefined): number {
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
