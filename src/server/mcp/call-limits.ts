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
  /** Calls of one person that may wait for a slot (default 32). */
  queueLength?: number;
  /** How long a call waits for a slot before it is refused (default 5 s). */
  queueWaitMs?: number;
}

interface Waiter {
  admit: () => void;
}

const DEFAULT_QUEUE_LENGTH = 32;
const DEFAULT_QUEUE_WAIT_MS = 5_000;

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
  private readonly waiting = new Map<string, Waiter[]>();

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

  /**
   * Counts a call in flight for the person until `release()`. Past the concurrency cap the call waits its turn
   * (first come, first served, per person) for at most `queueWaitMs`, behind at most `queueLength` others; only
   * past that bound, or when `signal` aborts (the client left), is it refused. An assistant's parallel calls thus
   * wait a moment instead of failing at once (issue 19, item 7), and the cap still protects the pool: a
   * person's calls only ever wait for that person's own.
   */
  enter(userId: string, signal?: AbortSignal): Promise<CallAdmission> {
    const running = this.inFlight.get(userId) ?? 0;
    if (running < this.limits.concurrency) {
      this.inFlight.set(userId, running + 1);
      return Promise.resolve(this.admission(userId));
    }
    const queue = this.waiting.get(userId) ?? [];
    if (queue.length >= this.queueLength || signal?.aborted) return Promise.resolve(this.busy());
    return new Promise<CallAdmission>((resolve) => {
      const waiter: Waiter = {
        admit: () => {
          cleanup();
          resolve(this.admission(userId));
        },
      };
      const giveUp = () => {
        cleanup();
        const left = this.waiting.get(userId)?.filter((other) => other !== waiter) ?? [];
        if (left.length > 0) this.waiting.set(userId, left);
        else this.waiting.delete(userId);
        resolve(this.busy());
      };
      const timer = setTimeout(giveUp, this.queueWaitMs);
      const cleanup = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", giveUp);
      };
      signal?.addEventListener("abort", giveUp, { once: true });
      queue.push(waiter);
      this.waiting.set(userId, queue);
    });
  }

  /** Calls waiting for a slot, per person (for tests and the benchmark). */
  waitingCount(userId: string): number {
    return this.waiting.get(userId)?.length ?? 0;
  }

  private get queueLength(): number {
    return this.limits.queueLength ?? DEFAULT_QUEUE_LENGTH;
  }

  private get queueWaitMs(): number {
    return this.limits.queueWaitMs ?? DEFAULT_QUEUE_WAIT_MS;
  }

  private busy(): CallRefusal {
    return {
      ok: false,
      retryAfterSeconds: 1,
      message: `Too many calls in flight for this account: at most ${this.limits.concurrency} at once, and the calls waiting for them waited too long. Retry after 1 s.`,
    };
  }

  private admission(userId: string): CallAdmission {
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        // The slot goes straight to the person's next waiting call, if any.
        const queue = this.waiting.get(userId);
        const next = queue?.shift();
        if (queue?.length === 0) this.waiting.delete(userId);
        if (next) {
          next.admit();
          return;
        }
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
