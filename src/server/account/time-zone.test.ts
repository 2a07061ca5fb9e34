import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createCaller } from "~/server/api/root";
import { createInnerTRPCContext } from "~/server/api/trpc";
import { users } from "~/server/db/schema";
import { engines } from "~/test/db";
import { useTestDatabase } from "~/test/fixtures";
import { canonicalTimeZone, dayIn, DEFAULT_TIME_ZONE, isoTimeIn, matchingChoice, personTimeZone, startOfDayIn, TIME_ZONES, timeZoneChoices, timeZoneSchema, utcOffsetMinutes } from "./time-zone";

describe("timeZoneChoices", () => {
  const winter = new Date("2026-12-04T12:00:00Z");

  it("offers every zone this server accepts once, UTC aside (the select lists it first), under its region", () => {
    const choices = timeZoneChoices(winter);
    const zones = choices.flatMap(({ options }) => options.map((option) => option.zone));
    expect(zones.toSorted()).toEqual(TIME_ZONES.filter((zone) => zone !== DEFAULT_TIME_ZONE));
    for (const { region, options } of choices) for (const { zone } of options) expect(zone.startsWith(`${region}/`) || zone === region).toBe(true);
  });

  it("labels each with the place first and its offset at that moment, sorted by label", () => {
    const america = timeZoneChoices(winter).find(({ region }) => region === "America")?.options ?? [];
    expect(america.find(({ zone }) => zone === "America/New_York")?.label).toBe("New York (GMT-5) · America/New_York");
    const summer = timeZoneChoices(new Date("2026-07-04T12:00:00Z")).find(({ region }) => region === "America")?.options ?? [];
    expect(summer.find(({ zone }) => zone === "America/New_York")?.label).toBe("New York (GMT-4) · America/New_York");
    const labels = america.map(({ label }) => label);
    expect(labels).toEqual(labels.toSorted((a, b) => a.localeCompare(b, "en")));
  });

  it("finds the choice for a zone under another name for it, as a browser with another zone database may give", () => {
    const choices = timeZoneChoices(winter);
    expect(matchingChoice("Europe/Paris", choices)).toBe("Europe/Paris");
    expect(matchingChoice("UTC", choices)).toBe("UTC");
    // This Node calls it Asia/Calcutta; a newer database says Asia/Kolkata. Either way round, the list's name wins.
    expect(matchingChoice("Asia/Kolkata", choices)).toBe("Asia/Calcutta");
    const newerList = [{ region: "Asia", options: [{ zone: "Asia/Kolkata", label: "Kolkata (GMT+5:30) · Asia/Kolkata" }] }];
    expect(matchingChoice("Asia/Calcutta", newerList)).toBe("Asia/Kolkata");
    expect(matchingChoice("Europe/Paris", newerList)).toBeNull();
    expect(matchingChoice("Mars/Olympus_Mons", choices)).toBeNull();
  });
});

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

describe("offsets and midnights in a zone", () => {
  it("reads a zone's offset, summer and winter, half hours included", () => {
    expect(utcOffsetMinutes(new Date("2026-01-15T12:00:00Z"), "America/New_York")).toBe(-300);
    expect(utcOffsetMinutes(new Date("2026-07-15T12:00:00Z"), "America/New_York")).toBe(-240);
    expect(utcOffsetMinutes(new Date("2026-07-15T12:00:00.999Z"), "Asia/Kolkata")).toBe(330);
    expect(utcOffsetMinutes(new Date("2026-07-15T12:00:00Z"), "UTC")).toBe(0);
  });

  it("finds the instant a day starts in a zone, across a change of the clocks", () => {
    expect(startOfDayIn("2026-03-08", "America/New_York")).toEqual(new Date("2026-03-08T05:00:00Z"));
    expect(startOfDayIn("2026-03-09", "America/New_York")).toEqual(new Date("2026-03-09T04:00:00Z"));
    expect(startOfDayIn("2026-12-04", "Asia/Kolkata")).toEqual(new Date("2026-12-03T18:30:00Z"));
  });

  it("writes ISO 8601 at a zone's wall clock with its offset, naming the same instant", () => {
    const instant = new Date("2026-12-04T03:05:09.120Z");
    expect(isoTimeIn(instant, "America/New_York")).toBe("2026-12-03T22:05:09.120-05:00");
    expect(isoTimeIn(instant, "Asia/Kolkata")).toBe("2026-12-04T08:35:09.120+05:30");
    expect(isoTimeIn(instant, "UTC")).toBe("2026-12-04T03:05:09.120+00:00");
    expect(new Date(isoTimeIn(instant, "Pacific/Chatham")).getTime()).toBe(instant.getTime());
  });
});

describe.each(engines)("the time zones on %s", (engine) => {
  const { db } = useTestDatabase(engine);

  it("knows every zone a person can choose, so the chart's query never meets one it cannot read", async () => {
    const result = await db.execute<{ zone: string }>(
      sql`select zone from unnest(${`{${TIME_ZONES.join(",")}}`}::text[]) as zone where not exists (select 1 from pg_timezone_names where name = zone)`,
    );
    const unknown = Array.isArray(result) ? result : (result as unknown as { rows: { zone: string }[] }).rows;
    expect(unknown).toEqual([]);
    expect(TIME_ZONES.length).toBeGreaterThan(400);
  });

  async function personWithZone(timeZone: string | null) {
    const [user] = await db
      .insert(users)
      .values({ email: `zone-${crypto.randomUUID()}@example.com`, firstname: "Lin", surname: "Zone", passwordHash: "not-a-real-hash", timeZone })
      .returning({ id: users.id, email: users.email, firstname: users.firstname, surname: users.surname, timeZone: users.timeZone });
    if (!user) throw new Error("no user inserted");
    const caller = createCaller(createInnerTRPCContext({ db, user, session: { id: "session", userId: user.id, expiresAt: new Date(Date.now() + 60_000), lastVerifiedAt: new Date() } }));
    const stored = async () => (await db.select({ timeZone: users.timeZone }).from(users).where(eq(users.id, user.id)))[0]?.timeZone;
    return { caller, stored };
  }

  it("keeps the zone chosen in settings, under this server's name for it", async () => {
    const { caller, stored } = await personWithZone("Europe/Paris");
    expect(await caller.account.setTimeZone({ timeZone: "america/new_york" })).toEqual({ timeZone: "America/New_York", changed: true });
    expect(await stored()).toBe("America/New_York");
    expect(await caller.account.setTimeZone({ timeZone: "America/New_York" })).toEqual({ timeZone: "America/New_York", changed: false });
  });

  it("keeps the browser's zone on a first visit only: a zone already chosen stays", async () => {
    const fresh = await personWithZone(null);
    expect(await fresh.caller.account.setTimeZone({ timeZone: "Asia/Tokyo", onlyIfUnset: true })).toMatchObject({ changed: true });
    expect(await fresh.caller.account.setTimeZone({ timeZone: "Europe/Berlin", onlyIfUnset: true })).toMatchObject({ changed: false });
    expect(await fresh.stored()).toBe("Asia/Tokyo");
  });

  it("refuses a zone it does not know with a 400 that says so, and changes nothing", async () => {
    const { caller, stored } = await personWithZone("Europe/London");
    const error = await caller.account.setTimeZone({ timeZone: "Mars/Olympus_Mons" }).then(
      () => new Error("expected the call to fail"),
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(TRPCError);
    expect(getHTTPStatusCodeFromError(error as TRPCError)).toBe(400);
    expect((error as TRPCError).message).toContain("is not a time zone we know");
    expect(await stored()).toBe("Europe/London");
  });
});
