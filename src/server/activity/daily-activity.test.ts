import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { dayIn } from "~/server/account/time-zone";
import { createCaller } from "~/server/api/root";
import { createInnerTRPCContext } from "~/server/api/trpc";
import { mcpActivity, users } from "~/server/db/schema";
import { generateToken } from "~/server/tokens/service";
import { engines } from "~/test/db";
import { useTestDatabase } from "~/test/fixtures";
import { dailyActivity } from "./queries";

// The chart's days are the person's calendar days (issue 20 item 6), counted by the database.

describe.each(engines)("calls per day on %s", (engine) => {
  const { db } = useTestDatabase(engine);

  async function personWithToken(): Promise<{ userId: string; tokenId: string }> {
    const [user] = await db
      .insert(users)
      .values({ email: `daily-${crypto.randomUUID()}@example.com`, firstname: "Ada", surname: "Days", passwordHash: "not-a-real-hash" })
      .returning({ id: users.id });
    if (!user) throw new Error("no user inserted");
    const token = await generateToken(db, user.id, { name: "Chart", scopes: ["read:data"], expiresInDays: 30 });
    return { userId: user.id, tokenId: token.id };
  }

  /** Midnight in `timeZone`, `daysAgo` days before today there, as the database reckons it. */
  async function midnightIn(timeZone: string, daysAgo: number): Promise<Date> {
    const rows = await db.execute<{ midnight: string }>(
      sql`select to_char((date_trunc('day', now() at time zone ${timeZone}) - make_interval(days => ${daysAgo})) at time zone ${timeZone} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as midnight`,
    );
    const midnight = (Array.isArray(rows) ? rows[0] : (rows as { rows: { midnight: string }[] }).rows[0])?.midnight;
    if (!midnight) throw new Error("no midnight");
    return new Date(midnight);
  }

  async function callAt(person: { userId: string; tokenId: string }, at: Date): Promise<void> {
    await db.insert(mcpActivity).values({ at, userId: person.userId, tokenId: person.tokenId, tool: "whoami", outcome: "ok", durationMs: 1 });
  }

  const MINUTE = 60_000;

  it("puts a call half an hour either side of New York's midnight on two New York days, and on one Tokyo day", async () => {
    const person = await personWithToken();
    const owner = { userId: person.userId };
    const midnight = await midnightIn("America/New_York", 0);
    await callAt(person, new Date(midnight.getTime() - 30 * MINUTE));
    await callAt(person, new Date(midnight.getTime() + 30 * MINUTE));

    const newYork = await dailyActivity(db, owner, { timeZone: "America/New_York" });
    expect(newYork).toHaveLength(30);
    expect(newYork.at(-1)).toEqual({ day: dayIn(new Date(), "America/New_York"), calls: 1 });
    expect(newYork.at(-2)).toEqual({ day: dayIn(new Date(midnight.getTime() - 30 * MINUTE), "America/New_York"), calls: 1 });

    // 13 or 14 hours ahead: both calls fall in the Tokyo afternoon of one day.
    const tokyo = await dailyActivity(db, owner, { timeZone: "Asia/Tokyo" });
    expect(tokyo.at(-1)?.day).toBe(dayIn(new Date(), "Asia/Tokyo"));
    expect(tokyo.filter((day) => day.calls > 0)).toEqual([{ day: dayIn(midnight, "Asia/Tokyo"), calls: 2 }]);
  });

  it("starts the period at the zone's midnight 29 days ago, oldest day first", async () => {
    const person = await personWithToken();
    const start = await midnightIn("Asia/Kolkata", 29);
    await callAt(person, new Date(start.getTime() - MINUTE));
    await callAt(person, new Date(start.getTime() + MINUTE));

    const days = await dailyActivity(db, { userId: person.userId }, { timeZone: "Asia/Kolkata" });
    expect(days[0]).toEqual({ day: dayIn(start, "Asia/Kolkata"), calls: 1 });
    expect(days.reduce((sum, day) => sum + day.calls, 0)).toBe(1);
    expect(new Set(days.map((day) => day.day)).size).toBe(30);

    const week = await dailyActivity(db, { userId: person.userId }, { timeZone: "Asia/Kolkata", days: 7 });
    expect(week.map((day) => day.calls)).toEqual([0, 0, 0, 0, 0, 0, 0]);
  });

  it("reads the chart in the signed-in person's zone through activity.daily, UTC until it is known", async () => {
    const person = await personWithToken();
    const midnight = await midnightIn("Pacific/Kiritimati", 0);
    const call = new Date(midnight.getTime() + MINUTE);
    await callAt(person, call);
    const daily = (timeZone: string | null) =>
      createCaller(
        createInnerTRPCContext({
          db,
          user: { id: person.userId, email: "daily@example.com", firstname: "Ada", surname: "Days", timeZone },
          session: { id: "session", userId: person.userId, expiresAt: new Date(Date.now() + 60_000), lastVerifiedAt: new Date() },
        }),
      ).activity.daily({});
    // A minute past midnight at UTC+14 is today there, and 10:01 the day before in UTC.
    const kiritimati = await daily("Pacific/Kiritimati");
    expect(kiritimati.at(-1)).toEqual({ day: dayIn(new Date(), "Pacific/Kiritimati"), calls: 1 });
    const utc = await daily(null);
    expect(utc.filter((day) => day.calls > 0)).toEqual([{ day: dayIn(call, "UTC"), calls: 1 }]);
    expect(dayIn(call, "UTC")).not.toBe(dayIn(call, "Pacific/Kiritimati"));
  });
});
