import { randomUUID } from "node:crypto";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { eq, sql } from "drizzle-orm";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { describe, expect, it, vi } from "vitest";
import { migrationsFolder } from "~/server/db/client";
import { apiTokens, mcpActivity, mcpActivityRollup, users } from "~/server/db/schema";
import { log } from "~/server/observability/logger";
import { engines } from "~/test/db";
import { useTestDatabase } from "~/test/fixtures";
import { dailyActivity } from "./queries";
import { ActivityRecorder, type ActivityRecord } from "./recorder";
import { purgeOldActivityRollup } from "./retention";
import type { ActivityOutcome } from "./schemas";

// The roll-up the 30-day charts read: it must say what a direct count of the trail says, whoever writes the
// trail and however (the recorder's batches and their retried halves, two instances at once, plain inserts), and
// the chart's days must fall where the person's zone puts midnight.

/** Rows of a raw query, from either driver (postgres-js: an array; PGlite: { rows }). */
function rowsOf<T>(result: unknown): T[] {
  return Array.isArray(result) ? (result as T[]) : ((result as { rows: T[] }).rows ?? []);
}

describe.each(engines)("the activity roll-up on %s", (engine) => {
  const { db } = useTestDatabase(engine);

  async function person(tokenCount = 2): Promise<{ userId: string; tokenIds: string[] }> {
    const [user] = await db.insert(users).values({ email: `${randomUUID()}@example.test`, firstname: "Ada", surname: "Lovelace", passwordHash: "x" }).returning({ id: users.id });
    if (!user) throw new Error("no user");
    const tokenIds: string[] = [];
    for (let index = 0; index < tokenCount; index++) {
      const [token] = await db
        .insert(apiTokens)
        .values({ userId: user.id, name: `token ${index}`, tokenHash: randomUUID(), tokenPrefix: "mcp_test0000", scopes: ["read:data"] })
        .returning({ id: apiTokens.id });
      if (!token) throw new Error("no token");
      tokenIds.push(token.id);
    }
    return { userId: user.id, tokenIds };
  }

  function call(userId: string, tokenId: string, at: Date, outcome: ActivityOutcome = "ok"): ActivityRecord {
    return { at, userId, tokenId, tool: "whoami", outcome, durationMs: 1, clientIp: null, userAgent: null, summary: null, error: null, clientName: null, clientVersion: null };
  }

  /** The roll-up and a direct count of the trail, per token, quarter hour and outcome, for one person. */
  async function rollupAndTrail(userId: string) {
    const rollup = rowsOf<{ token_id: string; quarter: string; outcome: string; calls: number }>(
      await db.execute(sql`
        select token_id, to_char(quarter_hour at time zone 'UTC', 'YYYY-MM-DD HH24:MI') as quarter, outcome::text, calls
        from ${mcpActivityRollup} where user_id = ${userId} order by 1, 2, 3`),
    );
    const trail = rowsOf<{ token_id: string; quarter: string; outcome: string; calls: number }>(
      await db.execute(sql`
        select token_id, to_char(date_bin('15 minutes', at, '2000-01-01 00:00:00+00') at time zone 'UTC', 'YYYY-MM-DD HH24:MI') as quarter, outcome::text, count(*)::int as calls
        from ${mcpActivity} where user_id = ${userId} group by 1, 2, 3 order by 1, 2, 3`),
    );
    return { rollup, trail };
  }

  it("agrees with a direct count of the trail after the recorder's batches, one of them retried in halves for a bad row", async () => {
    const error = vi.spyOn(log, "error").mockImplementation(() => {});
    const { userId, tokenIds } = await person();
    const recorder = new ActivityRecorder({ maxBatchRows: 16 });
    const hour = 60 * 60 * 1000;
    const start = Date.now() - 5 * hour;
    const outcomes: ActivityOutcome[] = ["ok", "ok", "tool_error", "rate_limited"];
    for (let index = 0; index < 40; index++) {
      const tokenId = tokenIds[index % 2] ?? "";
      recorder.record(db, call(userId, tokenId, new Date(start + index * 7 * 60_000), outcomes[index % outcomes.length]));
      // A value the database refuses (not an outcome): its batch is refused, then written in halves without it.
      if (index === 20) recorder.record(db, call(userId, tokenId, new Date(start + index * 7 * 60_000), "refused by the database" as ActivityOutcome));
    }
    await recorder.flush();
    expect(error).toHaveBeenCalledWith(expect.stringMatching(/could not record 1 calls/));
    error.mockRestore();

    const { rollup, trail } = await rollupAndTrail(userId);
    expect(trail.reduce((sum, row) => sum + Number(row.calls), 0)).toBe(40);
    expect(rollup.map((row) => ({ ...row, calls: Number(row.calls) }))).toEqual(trail.map((row) => ({ ...row, calls: Number(row.calls) })));
  });

  it("agrees with the trail when two instances write calls of the same tokens and hours at once", async () => {
    const { userId, tokenIds } = await person(3);
    const instances = [new ActivityRecorder({ maxBatchRows: 25 }), new ActivityRecorder({ maxBatchRows: 25 })];
    const now = Date.now();
    for (let index = 0; index < 300; index++) {
      instances[index % 2]?.record(db, call(userId, tokenIds[index % 3] ?? "", new Date(now - (index % 4) * 60 * 60_000), index % 5 === 0 ? "tool_error" : "ok"));
    }
    await Promise.all(instances.map((instance) => instance.flush()));
    const { rollup, trail } = await rollupAndTrail(userId);
    expect(trail.reduce((sum, row) => sum + Number(row.calls), 0)).toBe(300);
    expect(rollup.map((row) => ({ ...row, calls: Number(row.calls) }))).toEqual(trail.map((row) => ({ ...row, calls: Number(row.calls) })));
  });

  it("puts each call on its day in the person's zone, as a direct count of the trail does, on both sides of midnight", async () => {
    const { userId, tokenIds } = await person();
    const zones = ["UTC", "Europe/Paris", "America/New_York", "Pacific/Auckland", "Asia/Kolkata", "Asia/Kathmandu"];
    // One second before and at midnight, three days ago, in each zone; and one call now.
    const rows: ActivityRecord[] = [call(userId, tokenIds[0] ?? "", new Date())];
    for (const zone of zones) {
      const [midnight] = rowsOf<{ at: string }>(
        await db.execute(sql`select to_char(((date_trunc('day', now() at time zone ${zone}) - interval '3 days') at time zone ${zone}) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as at`),
      );
      const at = new Date(midnight?.at ?? "");
      rows.push(call(userId, tokenIds[0] ?? "", new Date(at.getTime() - 1000)), call(userId, tokenIds[1] ?? "", at, "tool_error"));
    }
    await db.insert(mcpActivity).values(rows);

    for (const zone of zones) {
      const direct = rowsOf<{ day: string; calls: number }>(
        await db.execute(sql`
          select to_char(at at time zone ${zone}, 'YYYY-MM-DD') as day, count(*)::int as calls from ${mcpActivity}
          where user_id = ${userId} and at >= (date_trunc('day', now() at time zone ${zone}) - interval '29 days') at time zone ${zone}
          group by 1`),
      );
      const expected = new Map(direct.map((row) => [row.day, Number(row.calls)]));
      const chart = await dailyActivity(db, { userId }, { timeZone: zone });
      expect(chart).toHaveLength(30);
      expect(Object.fromEntries(chart.filter((day) => day.calls > 0).map((day) => [day.day, day.calls]))).toEqual(Object.fromEntries(expected));
      // The calls either side of this zone's midnight are on two days, one each (or two, where another zone's fall).
      expect(chart.at(-1)?.calls).toBe(1);
    }
    // One token's chart counts only its calls.
    const secondToken = await dailyActivity(db, { userId, tokenIds: [tokenIds[1] ?? ""] }, { timeZone: "Europe/Paris" });
    expect(secondToken.reduce((sum, day) => sum + day.calls, 0)).toBe(zones.length);
  });

  it("keeps at least 32 days of counts whatever the trail's retention, and purges older ones", async () => {
    const { userId, tokenIds } = await person(1);
    const tokenId = tokenIds[0] ?? "";
    const daysAgo = (days: number) => sql`date_bin('15 minutes', now() - make_interval(days => ${days}), '2000-01-01 00:00:00+00')`;
    await db.insert(mcpActivityRollup).values([
      { tokenId, userId, outcome: "ok", calls: 3, quarterHour: daysAgo(10) },
      { tokenId, userId, outcome: "ok", calls: 3, quarterHour: daysAgo(31) },
      { tokenId, userId, outcome: "ok", calls: 3, quarterHour: daysAgo(33) },
      { tokenId, userId, outcome: "ok", calls: 3, quarterHour: daysAgo(91) },
    ]);
    const left = async () => (await db.select({ calls: mcpActivityRollup.calls }).from(mcpActivityRollup).where(eq(mcpActivityRollup.tokenId, tokenId))).length;
    // A trail kept 7 days: the charts' 30 days stay.
    expect(await purgeOldActivityRollup(db, 7)).toBeGreaterThanOrEqual(2);
    expect(await left()).toBe(2);
    // The default 90 days: counts older than that go.
    await db.insert(mcpActivityRollup).values({ tokenId, userId, outcome: "ok", calls: 3, quarterHour: daysAgo(91) });
    expect(await purgeOldActivityRollup(db, 90)).toBeGreaterThanOrEqual(1);
    expect(await left()).toBe(2);
  });

  it("goes with the person", async () => {
    const { userId, tokenIds } = await person(1);
    await db.insert(mcpActivity).values(call(userId, tokenIds[0] ?? "", new Date()));
    await db.delete(users).where(eq(users.id, userId));
    expect(await db.select().from(mcpActivityRollup).where(eq(mcpActivityRollup.userId, userId))).toEqual([]);
  });
});

describe("the roll-up's migration on PGlite", () => {
  it("counts the calls already in the trail", async () => {
    const journal = JSON.parse(readFileSync(path.join(migrationsFolder, "meta/_journal.json"), "utf8")) as { entries: { tag: string }[] };
    const before = journal.entries.findIndex((entry) => entry.tag.endsWith("_activity_rollup"));
    expect(before).toBeGreaterThan(0);
    const folder = mkdtempSync(path.join(tmpdir(), "carestral-migrations-"));
    cpSync(migrationsFolder, folder, { recursive: true });
    writeFileSync(path.join(folder, "meta/_journal.json"), JSON.stringify({ ...journal, entries: journal.entries.slice(0, before) }));
    const client = new PGlite();
    const db = drizzlePglite({ client });
    try {
      await migratePglite(db, { migrationsFolder: folder });
      const [user] = (await client.query<{ id: string }>(`insert into users (email, firstname, surname, password_hash) values ('m@example.com', 'A', 'B', 'x') returning id`)).rows;
      await client.query(
        `insert into mcp_activity (at, user_id, token_id, tool, outcome, duration_ms)
         select now() - make_interval(mins => g * 17), $1, case when g % 3 = 0 then $2::uuid else $3::uuid end, 'whoami',
                (case when g % 4 = 0 then 'tool_error' else 'ok' end)::mcp_activity_outcome, 1
         from generate_series(1, 500) g`,
        [user?.id, randomUUID(), randomUUID()],
      );

      await migratePglite(db, { migrationsFolder });
      const count = async (query: string) => (await client.query<{ key: string; calls: number }>(query)).rows;
      const trail = await count(`select concat_ws(' ', token_id, date_bin('15 minutes', at, '2000-01-01 00:00:00+00'), outcome) as key, count(*)::int as calls from mcp_activity group by 1 order by 1`);
      const rollup = await count(`select concat_ws(' ', token_id, quarter_hour, outcome) as key, calls from mcp_activity_rollup order by 1`);
      expect(trail.length).toBeGreaterThan(100);
      expect(rollup).toEqual(trail);
    } finally {
      await client.close();
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
