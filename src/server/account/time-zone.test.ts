import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { engines } from "~/test/db";
import { useTestDatabase } from "~/test/fixtures";
import { canonicalTimeZone, dayIn, DEFAULT_TIME_ZONE, personTimeZone, TIME_ZONES, timeZoneSchema } from "./time-zone";

describe("a person's time zone", () => {
  it("accepts the zones Intl knows, and UTC, under the name this server gives them", () => {
    expect(TIME_ZONES).toContain("America/New_York");
    expect(TIME_ZONES).toContain("UTC");
    expect(timeZoneSchema.parse("Europe/London")).toBe("Europe/London");
    expect(timeZoneSchema.parse("UTC")).toBe("UTC");
    expect(timeZoneSchema.parse("america/new_york")).toBe("America/New_York");
    // A browser with a newer zone database may send the new name of a zone: the same zone here.
    expect(canonicalTimeZone("Asia/Kolkata")).toBe(canonicalTimeZone("Asia/Calcutta"));
    expect(TIME_ZONES).toContain(timeZoneSchema.parse("Asia/Kolkata"));
  });

  it("refuses anything else with a message that says what to do", () => {
    for (const bad of ["Mars/Olympus_Mons", "", "Paris", "+05:00", "Europe/Paris'; drop table users; --", "x".repeat(65)]) {
      const parsed = timeZoneSchema.safeParse(bad);
      expect(parsed.success, bad).toBe(false);
      expect(parsed.error?.issues[0]?.message).toMatch(/time zone|Choose a time zone/);
    }
  });

  it("falls back to UTC until the person's zone is known, and for a zone this server no longer knows", () => {
    expect(DEFAULT_TIME_ZONE).toBe("UTC");
    expect(personTimeZone({ timeZone: null })).toBe("UTC");
    expect(personTimeZone({})).toBe("UTC");
    expect(personTimeZone({ timeZone: "Mars/Olympus_Mons" })).toBe("UTC");
    expect(personTimeZone({ timeZone: "Asia/Tokyo" })).toBe("Asia/Tokyo");
  });

  it("names the calendar day an instant falls on in a zone", () => {
    const instant = new Date("2026-12-05T03:30:00Z");
    expect(dayIn(instant, "UTC")).toBe("2026-12-05");
    expect(dayIn(instant, "America/New_York")).toBe("2026-12-04");
    expect(dayIn(instant, "Asia/Tokyo")).toBe("2026-12-05");
  });
});

describe.each(engines)("the time zones on %s", (engine) => {
  const testDb = useTestDatabase(engine);

  it("knows every zone a person can choose, so the chart's query never meets one it cannot read", async () => {
    const result = await testDb.db.execute<{ zone: string }>(
      sql`select zone from unnest(${`{${TIME_ZONES.join(",")}}`}::text[]) as zone where not exists (select 1 from pg_timezone_names where name = zone)`,
    );
    const unknown = Array.isArray(result) ? result : (result as unknown as { rows: { zone: string }[] }).rows;
    expect(unknown).toEqual([]);
    expect(TIME_ZONES.length).toBeGreaterThan(400);
  });
});
