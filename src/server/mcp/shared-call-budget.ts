import { sql } from "drizzle-orm";
import type { Database } from "~/server/db/client";
import { mcpCallWindows, mcpPersonCallWindows } from "~/server/db/schema";
import { describeError } from "~/server/describe-error";
import type { CallRefusal } from "./call-limits";
import { log } from "~/server/observability/logger";

// The MCP rates shared by every instance: at most `perMinute` calls in each fixed window per token, and per
// person across all of their tokens, counted in the database (mcp_call_windows, mcp_person_call_windows). A write per call would cost the hot path a round trip, so an instance
// takes calls in leases: one upsert grants it several, which it then hands out from memory. A lease starts
// small in each window and doubles as the token keeps calling there (up to a tenth of the limit, at most 100),
// so a busy token costs a write every 100 calls or fewer, and a token spread over many instances loses at most
// about half its budget to calls leased and never used. Leases are taken after verification, by token or person
// id, so a flood of made-up tokens never writes here.

export interface SharedCallBudgetOptions {
  /** What one budget covers: a token (the default), or a person with all of their tokens together. */
  per?: BudgetSubject;
  /** Calls per window per token or person, across all instances. */
  perMinute: number;
  /** The window's length; a minute in production, longer in tests so that no window ends mid-test. */
  windowSeconds?: number;
}

interface Lease {
  /** Calls this instance may still admit in the window. */
  remaining: number;
  /** Calls to ask for in the next lease of this window. */
  nextSize: number;
  /** When the window ends, on this process's clock (performance.now()). */
  endsAt: number;
  /** The window is used up on every instance: refuse until it ends. */
  exhausted: boolean;
  pending: Promise<void> | null;
}

export type BudgetSubject = "token" | "person";

/** Where each kind of budget is counted: two tables of the same shape, keyed by the token or the person. */
const WINDOWS = {
  token: { table: mcpCallWindows, key: mcpCallWindows.tokenId, whose: "with this token" },
  person: { table: mcpPersonCallWindows, key: mcpPersonCallWindows.userId, whose: "from your account (all of its tokens together)" },
} as const;

const MAX_LEASE = 100;
const MAX_TRACKED = 10_000;
const ERROR_LOG_INTERVAL_MS = 60_000;

export class SharedCallBudget {
  private readonly leases = new Map<string, Lease>();
  private readonly per: BudgetSubject;
  private readonly windowSeconds: number;
  private readonly largestLease: number;
  private readonly firstLease: number;
  private lastErrorLoggedAt = -Infinity;

  constructor(
    private readonly database: () => Promise<Database>,
    private readonly options: SharedCallBudgetOptions,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.per = options.per ?? "token";
    this.windowSeconds = options.windowSeconds ?? 60;
    this.largestLease = Math.max(1, Math.min(MAX_LEASE, Math.ceil(options.perMinute / 10)));
    this.firstLease = Math.max(1, Math.min(this.largestLease, Math.ceil(options.perMinute / 100)));
  }

  /**
   * Takes one call from the token's shared budget: null when admitted, else the refusal with the wait until
   * the window ends. Admits when the database cannot be asked (the per-instance limits still hold).
   */
  async takeCall(id: string): Promise<CallRefusal | null> {
    // Each pass admits, refuses, or waits for a lease; every lease grants a call or ends the window, so
    // concurrent callers that lose the race to a small lease only wait for the next one.
    for (;;) {
      const now = this.now();
      let lease = this.leases.get(id);
      if (lease && !lease.pending && now >= lease.endsAt) {
        this.leases.delete(id);
        lease = undefined;
      }
      if (lease?.exhausted) return this.refusal((lease.endsAt - now) / 1000);
      if (lease && lease.remaining > 0) {
        lease.remaining -= 1;
        return null;
      }
      if (!lease) {
        if (this.leases.size >= MAX_TRACKED) this.sweep(now);
        lease = { remaining: 0, nextSize: this.firstLease, endsAt: Infinity, exhausted: false, pending: null };
        this.leases.set(id, lease);
      }
      if (!lease.pending) {
        const current = lease;
        current.pending = this.renew(id, current).then(
          () => {
            current.pending = null;
          },
          (error: unknown) => {
            current.pending = null;
            throw error;
          },
        );
      }
      try {
        await lease.pending;
      } catch (error) {
        this.logFailure(error);
        return null;
      }
    }
  }

  /** Asks the database for the next lease of the token's or person's current window (one upsert). */
  private async renew(id: string, lease: Lease): Promise<void> {
    const size = lease.nextSize;
    const limit = this.options.perMinute;
    const seconds = this.windowSeconds;
    const { table, key } = WINDOWS[this.per];
    const db = await this.database();
    // The window is the database's: every instance agrees on it whatever its own clock says. Nothing is written
    // (and no row comes back) once the window's calls are all taken.
    const result = await db.execute(sql`
      insert into ${table} (${sql.identifier(key.name)}, window_started_at, calls)
      values (${id}, to_timestamp(floor(extract(epoch from now()) / ${seconds}) * ${seconds}), ${size})
      on conflict (${sql.identifier(key.name)}) do update set
        calls = case when ${table}.window_started_at = excluded.window_started_at then ${table}.calls + ${size} else ${size} end,
        window_started_at = excluded.window_started_at
      where ${table}.window_started_at <> excluded.window_started_at or ${table}.calls < ${limit}
      returning calls, extract(epoch from (window_started_at + make_interval(secs => ${seconds}) - now()))::float8 as seconds_left`);
    const row = rowsOf<{ calls: number; seconds_left: number }>(result)[0];
    const now = this.now();
    if (!row) {
      lease.exhausted = true;
      lease.remaining = 0;
      // No row, so no window from the database: its end by this clock is close enough for a Retry-After.
      lease.endsAt = now + (seconds - ((Date.now() / 1000) % seconds)) * 1000;
      return;
    }
    const takenBefore = Number(row.calls) - size;
    lease.remaining += Math.max(0, Math.min(size, limit - takenBefore));
    lease.nextSize = Math.min(this.largestLease, size * 2);
    lease.endsAt = now + Number(row.seconds_left) * 1000;
  }

  private refusal(secondsLeft: number): CallRefusal {
    const retryAfterSeconds = Math.max(1, Math.ceil(secondsLeft));
    const window = this.windowSeconds === 60 ? "a minute" : `per ${this.windowSeconds} s`;
    return {
      ok: false,
      retryAfterSeconds,
      message: `Too many calls ${WINDOWS[this.per].whose}: at most ${this.options.perMinute} ${window}, counted across all servers. Retry after ${retryAfterSeconds} s.`,
    };
  }

  private logFailure(error: unknown): void {
    const now = this.now();
    if (now - this.lastErrorLoggedAt < ERROR_LOG_INTERVAL_MS) return;
    this.lastErrorLoggedAt = now;
    log.error(`The shared MCP rate per ${this.per} could not be counted; calls are admitted on this instance's limits alone: ${describeError(error)}`);
  }

  /** Forgets the leases of windows that have ended. */
  private sweep(now: number): void {
    for (const [key, lease] of this.leases) {
      if (!lease.pending && now >= lease.endsAt) this.leases.delete(key);
    }
    if (this.leases.size >= MAX_TRACKED) {
      for (const [key, lease] of this.leases) if (!lease.pending) this.leases.delete(key);
    }
  }
}

/** The rows of a raw query: postgres-js returns them as an array, PGlite as { rows }. */
function rowsOf<Row>(result: unknown): Row[] {
  return (Array.isArray(result) ? result : ((result as { rows?: Row[] }).rows ?? [])) as Row[];
}
