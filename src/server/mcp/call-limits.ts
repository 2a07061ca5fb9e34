import { sha256Hex } from "~/server/hash";
import { readBearerToken } from "~/server/tokens/service";

// Per-instance limits on MCP calls, so that one token or one person cannot take an instance from
// everybody: a rate per token (token bucket, before verification) and a cap on calls in flight per person.
// In memory on purpose: they cost a Map lookup on the hot path. The rate is counted across instances as
// well, after verification (shared-call-budget.ts); the concurrency cap stays per instance, because what it
// protects is per instance: the instance's pool connections and event loop. The database as a whole is
// bounded by instances × pool size and by statement_timeout.

/**
 * The per-token rate's key before verification: a hash of the credential as verification will read it, or null
 * when there is none (such a request is refused without the database anyway). Keyed on the raw header, "Bearer"
 * followed by 1 to 1000 spaces got a fresh bucket each time (issue 19, item 5).
 */
export function mcpRateKey(authorization: string | null): string | null {
  const credential = readBearerToken(authorization);
  return credential === null ? null : sha256Hex(credential);
}

export interface CallLimits {
  /** Calls per minute per token. */
  perMinute: number;
  /** Calls in flight at once per person. */
  concurrency: number;
}

export interface CallRefusal {
  ok: false;
  retryAfterSeconds: number;
  message: string;
}

export type CallAdmission = { ok: true; release: () => void } | CallRefusal;

interface Bucket {
  tokens: number;
  updatedAt: number;
}

const MAX_TRACKED = 10_000;

export class McpCallLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly inFlight = new Map<string, number>();

  constructor(
    private readonly limits: CallLimits,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** A burst of up to 10 seconds' worth of calls (at least 10), refilled continuously. */
  private get capacity(): number {
    return Math.max(10, Math.ceil(this.limits.perMinute / 6));
  }

  /**
   * Takes one call from the token's bucket. Keyed by a hash of the presented credentials, so it runs
   * before verification: a flood of refused calls costs no database round trip.
   */
  takeCall(tokenKey: string): CallRefusal | null {
    const now = this.now();
    const ratePerMs = this.limits.perMinute / 60_000;
    let bucket = this.buckets.get(tokenKey);
    if (!bucket) {
      if (this.buckets.size >= MAX_TRACKED) this.sweep(now, ratePerMs);
      bucket = { tokens: this.capacity, updatedAt: now };
      this.buckets.set(tokenKey, bucket);
    } else {
      bucket.tokens = Math.min(this.capacity, bucket.tokens + (now - bucket.updatedAt) * ratePerMs);
      bucket.updatedAt = now;
    }
    if (bucket.tokens < 1) {
      const retryAfterSeconds = Math.max(1, Math.ceil((1 - bucket.tokens) / ratePerMs / 1000));
      return {
        ok: false,
        retryAfterSeconds,
        message: `Too many calls with this token: at most ${this.limits.perMinute} a minute. Retry after ${retryAfterSeconds} s.`,
      };
    }
    bucket.tokens -= 1;
    return null;
  }

  /** Counts a call in flight for the person until `release()`; refused past the concurrency cap. */
  enter(userId: string): CallAdmission {
    const running = this.inFlight.get(userId) ?? 0;
    if (running >= this.limits.concurrency) {
      return {
        ok: false,
        retryAfterSeconds: 1,
        message: `Too many calls in flight for this account: at most ${this.limits.concurrency} at once. Wait for one to finish.`,
      };
    }
    this.inFlight.set(userId, running + 1);
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        const left = (this.inFlight.get(userId) ?? 1) - 1;
        if (left <= 0) this.inFlight.delete(userId);
        else this.inFlight.set(userId, left);
      },
    };
  }

  /** Forgets buckets that have refilled: they would start full anyway. */
  private sweep(now: number, ratePerMs: number): void {
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + (now - bucket.updatedAt) * ratePerMs >= this.capacity) this.buckets.delete(key);
    }
    // Thousands of credentials all busy within the last seconds: forget them all rather than grow.
    if (this.buckets.size >= MAX_TRACKED) this.buckets.clear();
  }
}
