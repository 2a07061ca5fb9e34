import { sql } from "drizzle-orm";
import type { Database } from "~/server/db/client";
import { withDatabaseDeadline } from "~/server/db/deadline";
import { describeError } from "~/server/describe-error";
import { mcpActivity, users } from "~/server/db/schema";
import { storableLine, UNKNOWN_NAME } from "./recorded-text";
import { ACTIVITY_TOOL_MAX_LENGTH, type ActivityOutcome } from "./schemas";
import { log, outsideRequest } from "~/server/observability/logger";
import { metrics } from "~/server/observability/metrics";
import { processSingleton } from "~/server/process-singleton";

/** One MCP call as the trail stores it. Never the call's arguments. */
export interface ActivityRecord {
  at: Date;
  userId: string;
  tokenId: string;
  tool: string;
  outcome: ActivityOutcome;
  durationMs: number;
  clientIp: string | null;
  userAgent: string | null;
  summary: string | null;
  /** The first line of the error the client was given; null when the call succeeded. */
  error: string | null;
  /** The MCP client's own name and version (clientInfo), when it sent them. */
  clientName: string | null;
  clientVersion: string | null;
}

export interface ActivityRecorderOptions {
  /** A batch is written at least this often while calls arrive. */
  flushIntervalMs?: number;
  /** A batch is written at once when this many calls are waiting; also the most rows per INSERT. */
  maxBatchRows?: number;
  /** Past this many waiting calls (the database is slow or gone), new ones are dropped and counted. */
  maxBufferedRows?: number;
  /** Writes one batch; the default inserts into mcp_activity within the database deadline. */
  write?: (db: Database, rows: ActivityRecord[]) => Promise<void>;
}

export const ACTIVITY_FLUSH_INTERVAL_MS = 250;
const MAX_BATCH_ROWS = 500;
const MAX_BUFFERED_ROWS = 20_000;

// The longest of each recorded text, in code points.
const TEXT_LIMITS = { clientIp: 64, userAgent: 256, summary: 200, error: 200, clientName: 64, clientVersion: 32 } as const;

/** The row as it may be stored: every text one well-formed line without NUL, bounded (recorded-text.ts). */
function storableRow(row: ActivityRecord): ActivityRecord {
  return {
    ...row,
    tool: storableLine(row.tool, ACTIVITY_TOOL_MAX_LENGTH) ?? UNKNOWN_NAME,
    clientIp: storableLine(row.clientIp, TEXT_LIMITS.clientIp),
    userAgent: storableLine(row.userAgent, TEXT_LIMITS.userAgent),
    summary: storableLine(row.summary, TEXT_LIMITS.summary),
    error: storableLine(row.error, TEXT_LIMITS.error),
    clientName: storableLine(row.clientName, TEXT_LIMITS.clientName),
    clientVersion: storableLine(row.clientVersion, TEXT_LIMITS.clientVersion),
  };
}

/**
 * True for an error the rows themselves caused (SQLSTATE class 22, data exception, or 23, integrity constraint):
 * retrying the rows in smaller batches then saves the good ones. Any other failure (the database is down, the
 * deadline passed) would fail again for every half.
 */
function isRowError(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && /^2[23][0-9A-Z]{3}$/.test(code)) return true;
    current = current.cause;
  }
  return false;
}

/**
 * One INSERT for the whole batch, its rows sent as a single JSON parameter: building a multi-row VALUES
 * list through the query builder costs more CPU per row than the MCP call it records. Rows of people deleted
 * since their call are skipped (their trail went with them).
 */
async function insertActivity(db: Database, rows: ActivityRecord[]): Promise<void> {
  const json = JSON.stringify(
    rows.map((row) => ({
      at: row.at.toISOString(),
      user_id: row.userId,
      token_id: row.tokenId,
      tool: row.tool,
      outcome: row.outcome,
      duration_ms: row.durationMs,
      client_ip: row.clientIp,
      user_agent: row.userAgent,
      summary: row.summary,
      error: row.error,
      client_name: row.clientName,
      client_version: row.clientVersion,
    })),
  );
  await withDatabaseDeadline(
    db.execute(sql`
      insert into ${mcpActivity} (at, user_id, token_id, tool, outcome, duration_ms, client_ip, user_agent, summary, error, client_name, client_version)
      select at, user_id, token_id, tool, outcome::mcp_activity_outcome, duration_ms, client_ip, user_agent, summary, error, client_name, client_version
      from rows from (json_to_recordset(${json}::json) as (at timestamptz, user_id uuid, token_id uuid, tool text, outcome text,
        duration_ms integer, client_ip text, user_agent text, summary text, error text, client_name text, client_version text))
        with ordinality as r(at, user_id, token_id, tool, outcome, duration_ms, client_ip, user_agent, summary, error, client_name, client_version, n)
      where exists (select 1 from ${users} u where u.id = r.user_id)
      order by r.n`),
  );
}

/**
 * The trail's writer. record() only pushes onto an in-process buffer, so an MCP answer never waits on the
 * trail; a timer (or a full batch) writes the buffer in one INSERT. A batch refused for its rows' sake is
 * retried in halves down to single rows, so one bad row costs only itself. A batch that fails otherwise is
 * dropped (logged with its size, never its content): a database that stops loses at most what one flush
 * interval held, and calls keep being answered. Rows wait per database, so tests and the benchmark can use their own.
 */
export class ActivityRecorder {
  /** Off: record() does nothing (the benchmark compares both). */
  enabled = true;
  private buffered: { db: Database; row: ActivityRecord }[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private dropped = 0;
  private readonly flushIntervalMs: number;
  private readonly maxBatchRows: number;
  private readonly maxBufferedRows: number;
  private readonly write: (db: Database, rows: ActivityRecord[]) => Promise<void>;

  constructor(options: ActivityRecorderOptions = {}) {
    this.flushIntervalMs = options.flushIntervalMs ?? ACTIVITY_FLUSH_INTERVAL_MS;
    this.maxBatchRows = options.maxBatchRows ?? MAX_BATCH_ROWS;
    this.maxBufferedRows = options.maxBufferedRows ?? MAX_BUFFERED_ROWS;
    this.write = options.write ?? insertActivity;
  }

  record(db: Database, row: ActivityRecord): void {
    if (!this.enabled) return;
    if (this.buffered.length >= this.maxBufferedRows) {
      this.dropped++;
      metrics().activityRowsDropped.inc();
      return;
    }
    this.buffered.push({ db, row: storableRow(row) });
    if (this.buffered.length >= this.maxBatchRows) {
      void this.flush();
    } else if (!this.timer) {
      this.timer = outsideRequest(() => setTimeout(() => void this.flush(), this.flushIntervalMs));
      // A pending flush must not keep a process (a test, a script) alive; shutdown flushes explicitly.
      this.timer.unref?.();
    }
  }

  /** Calls recorded but not yet written. */
  get pendingCount(): number {
    return this.buffered.length;
  }

  /** Writes everything recorded so far. Never rejects; resolves once those rows are written or dropped. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const taken = this.buffered;
    this.buffered = [];
    // One flush at a time, in order: a slow database gets one INSERT at a time from us, not a pile. The batch
    // holds many people's calls: its lines belong to none of their requests.
    this.flushing = outsideRequest(() => this.flushing.then(() => this.writeAll(taken)));
    return this.flushing;
  }

  private async writeAll(taken: { db: Database; row: ActivityRecord }[]): Promise<void> {
    if (this.dropped > 0) {
      log.error(`Activity trail: ${this.dropped} calls were not recorded because the database fell behind.`);
      this.dropped = 0;
    }
    const byDatabase = new Map<Database, ActivityRecord[]>();
    for (const { db, row } of taken) {
      const rows = byDatabase.get(db);
      if (rows) rows.push(row);
      else byDatabase.set(db, [row]);
    }
    for (const [db, rows] of byDatabase) {
      for (let start = 0; start < rows.length; start += this.maxBatchRows) {
        await this.writeBatch(db, rows.slice(start, start + this.maxBatchRows));
      }
    }
  }

  private async writeBatch(db: Database, batch: ActivityRecord[]): Promise<void> {
    try {
      await this.write(db, batch);
    } catch (error) {
      if (batch.length > 1 && isRowError(error)) {
        const half = Math.ceil(batch.length / 2);
        await this.writeBatch(db, batch.slice(0, half));
        await this.writeBatch(db, batch.slice(half));
        return;
      }
      log.error(`Activity trail: could not record ${batch.length} calls: ${describeError(error)}`);
      metrics().activityRowsDropped.inc(batch.length);
    }
  }
}

// The process's recorder, which /api/mcp fills and introspection, the metrics and shutdown share. One per process:
// Next.js may load this module in more than one bundle (the route and instrumentation-node.ts), and shutdown must
// flush the buffer the route filled.
export const activityRecorder: ActivityRecorder = processSingleton("activityRecorder", () => new ActivityRecorder());
