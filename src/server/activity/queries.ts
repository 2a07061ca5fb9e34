import { and, desc, eq, gte, inArray, lt, sql, type SQL } from "drizzle-orm";
import { dayIn } from "~/server/account/time-zone";
import type { PgColumn } from "drizzle-orm/pg-core";
import { returnedRowCount } from "~/server/db/purge";
import type { Database } from "~/server/db/client";
import { apiTokens, mcpActivity, mcpActivityRollup } from "~/server/db/schema";
import { UUID_PATTERN } from "~/server/db/uuid";
import { ACTIVITY_PAGE_SIZE, type ActivityCursor, type ActivityOutcome } from "./schemas";

// Reading the trail. Every query takes an ActivityOwner: always a user, optionally narrowed to some of
// their tokens (one token's page, or every token of one connected app), so the same functions serve the
// token page, the activity page and an app page.

export interface ActivityOwner {
  userId: string;
  /** Only these tokens (all of them the user's); omitted = every token of the user. */
  tokenIds?: string[];
}

export interface ActivityEntry {
  id: number;
  at: Date;
  tokenId: string;
  tokenName: string;
  /** Set when the token was issued to a connected app (OAuth): its page is the app's. */
  grantId: string | null;
  tool: string;
  outcome: ActivityOutcome;
  durationMs: number;
  clientIp: string | null;
  userAgent: string | null;
  summary: string | null;
  /** The first line of the error the client was given, when the call failed. */
  error: string | null;
  /** The MCP client as it named itself (clientInfo), when it did; else only userAgent tells. */
  clientName: string | null;
  clientVersion: string | null;
}

export interface ActivityPage {
  entries: ActivityEntry[];
  /** Pass back as `cursor` for the next (older) page; null when this is the last. */
  nextCursor: ActivityCursor | null;
}

const entryColumns = {
  id: mcpActivity.id,
  at: mcpActivity.at,
  tokenId: mcpActivity.tokenId,
  tokenName: apiTokens.name,
  grantId: apiTokens.grantId,
  tool: mcpActivity.tool,
  outcome: mcpActivity.outcome,
  durationMs: mcpActivity.durationMs,
  clientIp: mcpActivity.clientIp,
  userAgent: mcpActivity.userAgent,
  summary: mcpActivity.summary,
  error: mcpActivity.error,
  clientName: mcpActivity.clientName,
  clientVersion: mcpActivity.clientVersion,
};

// Method names have a slash (tools/list, server/discover), except the two of the first protocol revisions.
const notProtocolMethod = sql`not (${mcpActivity.tool} like '%/%' or ${mcpActivity.tool} in ('initialize', 'ping'))`;

/**
 * The where clause of an owner on the trail (or on its roll-up), or null when it cannot match anything (bad
 * ids, an empty token list).
 */
function ownerCondition(owner: ActivityOwner, table: { userId: PgColumn; tokenId: PgColumn } = mcpActivity): SQL | null {
  if (!UUID_PATTERN.test(owner.userId)) return null;
  const byUser = eq(table.userId, owner.userId);
  if (owner.tokenIds === undefined) return byUser;
  const tokenIds = owner.tokenIds.filter((id) => UUID_PATTERN.test(id));
  if (tokenIds.length === 0) return null;
  // One token: the (token_id, at) index answers the page alone.
  const byToken = tokenIds.length === 1 ? eq(table.tokenId, tokenIds[0] ?? "") : inArray(table.tokenId, tokenIds);
  return and(byUser, byToken) ?? null;
}

/**
 * Calls newest first, `limit` at a time, optionally of one outcome and one tool. Protocol methods (initialize,
 * tools/list, server/discover, ping) are left out unless `protocol` is set or `tool` names one.
 */
export async function listActivity(
  db: Database,
  owner: ActivityOwner,
  options: { outcome?: ActivityOutcome; tool?: string; protocol?: boolean; cursor?: ActivityCursor; limit?: number } = {},
): Promise<ActivityPage> {
  const condition = ownerCondition(owner);
  if (!condition) return { entries: [], nextCursor: null };
  const limit = options.limit ?? ACTIVITY_PAGE_SIZE;
  const { cursor } = options;
  const rows = await db
    .select(entryColumns)
    .from(mcpActivity)
    .innerJoin(apiTokens, eq(apiTokens.id, mcpActivity.tokenId))
    .where(
      and(
        condition,
        options.outcome ? eq(mcpActivity.outcome, options.outcome) : undefined,
        options.tool ? eq(mcpActivity.tool, options.tool) : undefined,
        options.tool || options.protocol ? undefined : notProtocolMethod,
        // Keyset pagination: stable while new calls arrive, and as fast on page 1 000 as on page 1.
        // A row comparison, which the (…, at, id) index can seek to.
        cursor ? sql`(${mcpActivity.at}, ${mcpActivity.id}) < (${cursor.at.toISOString()}::timestamptz, ${cursor.id}::bigint)` : undefined,
      ),
    )
    .orderBy(desc(mcpActivity.at), desc(mcpActivity.id))
    .limit(limit + 1);
  const entries = rows.slice(0, limit);
  const last = entries.at(-1);
  return { entries, nextCursor: rows.length > limit && last ? { at: last.at, id: last.id } : null };
}

export interface DailyCount {
  /** The calendar day in the zone asked for, YYYY-MM-DD. */
  day: string;
  calls: number;
}

/**
 * Calls per calendar day in `timeZone` (the person's, an IANA name already validated) over the last `days`
 * days, today included, oldest first, days without calls as 0. A day is that zone's midnight to midnight,
 * so it is 23 or 25 hours long when the clocks change. Read from the roll-up (mcp_activity_rollup), not the trail:
 * at most 96 rows (quarter hours) per token and outcome a day, whatever the number of calls.
 */
export async function dailyActivity(db: Database, owner: ActivityOwner, options: { timeZone: string; days?: number }): Promise<DailyCount[]> {
  const { timeZone, days = 30 } = options;
  const condition = ownerCondition(owner, mcpActivityRollup);
  const counts = new Map<string, number>();
  if (condition) {
    // `timestamptz at time zone z` is the wall-clock time in z; `timestamp at time zone z` turns it back.
    const day = sql<string>`to_char(${mcpActivityRollup.quarterHour} at time zone ${timeZone}, 'YYYY-MM-DD')`;
    const firstDay = sql`(date_trunc('day', now() at time zone ${timeZone}) - make_interval(days => ${days - 1})) at time zone ${timeZone}`;
    const rows = await db
      .select({ day, calls: sql<number>`sum(${mcpActivityRollup.calls})::int` })
      .from(mcpActivityRollup)
      .where(and(condition, gte(mcpActivityRollup.quarterHour, firstDay)))
      // By position: the zone is a bound parameter, and the same expression written again would bind another
      // one, which PostgreSQL does not recognise as the selected column.
      .groupBy(sql`1`);
    for (const row of rows) counts.set(row.day, Number(row.calls));
  }
  const [year = 1970, month = 1, date = 1] = dayIn(new Date(), timeZone).split("-").map(Number);
  return Array.from({ length: days }, (_, index) => {
    // Calendar arithmetic on the zone's date, done in UTC where every day is 24 hours.
    const key = new Date(Date.UTC(year, month - 1, date - (days - 1 - index))).toISOString().slice(0, 10);
    return { day: key, calls: counts.get(key) ?? 0 };
  });
}

/**
 * Every call in [from, to), oldest first, in pages of `pageSize`, for the CSV export: a large period is
 * streamed page by page instead of being held in memory.
 */
export async function* exportActivity(
  db: Database,
  owner: ActivityOwner,
  period: { from: Date; to: Date },
  pageSize = 2000,
): AsyncGenerator<ActivityEntry[]> {
  const condition = ownerCondition(owner);
  if (!condition) return;
  let after: ActivityCursor | null = null;
  for (;;) {
    const rows: ActivityEntry[] = await db
      .select(entryColumns)
      .from(mcpActivity)
      .innerJoin(apiTokens, eq(apiTokens.id, mcpActivity.tokenId))
      .where(
        and(
          condition,
          gte(mcpActivity.at, period.from),
          lt(mcpActivity.at, period.to),
          after ? sql`(${mcpActivity.at}, ${mcpActivity.id}) > (${after.at.toISOString()}::timestamptz, ${after.id}::bigint)` : undefined,
        ),
      )
      .orderBy(mcpActivity.at, mcpActivity.id)
      .limit(pageSize);
    if (rows.length > 0) yield rows;
    const last = rows.at(-1);
    if (rows.length < pageSize || !last) return;
    after = { at: last.at, id: last.id };
  }
}

/**
 * Deletes up to `batchSize` calls older than `retentionDays`, oldest ids first; returns how many. Safe
 * with several instances at once: each batch locks its rows and skips rows another instance holds.
 * Ids grow with time, so walking the primary key finds the old rows first without a scan of the table.
 */
export async function purgeActivityBatch(db: Database, retentionDays: number, batchSize: number): Promise<number> {
  const deleted = await db.execute(sql`
    delete from ${mcpActivity} where ${mcpActivity.id} in (
      select ${mcpActivity.id} from ${mcpActivity}
      where ${mcpActivity.at} < now() - make_interval(days => ${retentionDays})
      order by ${mcpActivity.id}
      limit ${batchSize}
      for update skip locked
    ) returning 1`);
  return returnedRowCount(deleted);
}
