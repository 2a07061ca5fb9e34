import { describe, expect, it } from "vitest";
import { displayPrefix, expiresSoon, formatAppointment, formatDate, formatDateTime, formatRelative, placeTimeLabel } from "./format";

describe("formatRelative", () => {
  const now = new Date("2025-06-01T12:00:00Z");
  const ago = (seconds: number) => new Date(now.getTime() - seconds * 1000);

  it.each([
    [0, "just now"],
    [59, "just now"],
    [60, "1 minute ago"],
    [3 * 60 + 10, "3 minutes ago"],
    [2 * 60 * 60, "2 hours ago"],
    [26 * 60 * 60, "1 day ago"],
    [10 * 24 * 60 * 60, "1 week ago"],
    [400 * 24 * 60 * 60, "1 year ago"],
    [-2 * 24 * 60 * 60, "in 2 days"],
  ])("%i seconds ago reads %j", (seconds, expected) => {
    expect(formatRelative(ago(seconds), now)).toBe(expected);
  });
});

describe("displayPrefix", () => {
  it("marks the prefix as truncated", () => {
    expect(displayPrefix("mcp_AbCd1234")).toBe("mcp_AbCd1234…");
  });
});

// ICU puts a narrow no-break space before AM/PM in some versions and a plain one in others.
const spaced = (text: string) => expect.stringMatching(new RegExp(`^${text.replace(/[()+]/g, "\\$&").replaceAll(" ", "\\s")}$`));

describe("formatDate and formatDateTime", () => {
  const lateEvening = new Date("2030-05-14T22:30:00Z");
  it("read in the zone they are given, the clock time labelled with the zone's short name", () => {
    expect(formatDate(lateEvening, "Europe/Paris")).toBe("May 15, 2030"); // 00:30 the next day in Paris (CEST)
    expect(formatDate(lateEvening, "America/New_York")).toBe("May 14, 2030");
    expect(formatDateTime(lateEvening, "America/New_York")).toEqual(spaced("May 14, 2030, 6:30 PM EDT"));
    expect(formatDateTime(lateEvening, "UTC")).toEqual(spaced("May 14, 2030, 10:30 PM UTC"));
    expect(formatDateTime(lateEvening, "Asia/Kolkata")).toEqual(spaced("May 15, 2030, 4:00 AM GMT+5:30"));
  });
});

describe("formatAppointment", () => {
  it("shows the hospital's wall clock, named after its place", () => {
    const appointment = new Date("2030-05-14T08:30:00Z");
    expect(formatAppointment(appointment, "Europe/Paris")).toEqual(spaced("May 14, 2030, 10:30 AM (Paris time)"));
    expect(formatAppointment(appointment, "America/New_York")).toEqual(spaced("May 14, 2030, 4:30 AM (New York time)"));
    expect(placeTimeLabel("UTC")).toBe("UTC");
  });
});

describe("expiresSoon", () => {
  const now = new Date("2026-12-04T12:00:00Z");
  const inHours = (hours: number) => new Date(now.getTime() + hours * 3_600_000);
  it("counts calendar days in the person's zone, then hours on the day itself, within two weeks ahead; says nothing otherwise", () => {
    expect(expiresSoon(inHours(3 * 24 + 5), now, "UTC")).toBe("Expires in 3 days");
    expect(expiresSoon(inHours(24), now, "UTC")).toBe("Expires in 1 day");
    expect(expiresSoon(inHours(5.5), now, "UTC")).toBe("Expires in 5 hours");
    expect(expiresSoon(inHours(0.5), now, "UTC")).toBe("Expires in less than an hour");
    expect(expiresSoon(inHours(15 * 24), now, "UTC")).toBeNull();
    expect(expiresSoon(inHours(-1), now, "UTC")).toBeNull();
  });

  it("says the days the date beside it says: a token made at noon for 10 days reads 10 days, a few seconds later too", () => {
    const made = new Date("2026-12-04T11:00:00Z");
    const expires = new Date(made.getTime() + 10 * 86_400_000);
    expect(formatDate(expires, "Europe/London")).toBe("Dec 14, 2026");
    expect(expiresSoon(expires, new Date(made.getTime() + 5_000), "Europe/London")).toBe("Expires in 10 days");
    // 11 PM in New York on the 3rd is the 4th in London: the count follows the zone the dates are read in.
    const lateNight = new Date("2026-12-04T04:00:00Z");
    expect(expiresSoon(new Date("2026-12-06T12:00:00Z"), lateNight, "America/New_York")).toBe("Expires in 3 days");
    expect(expiresSoon(new Date("2026-12-06T12:00:00Z"), lateNight, "Europe/London")).toBe("Expires in 2 days");
  });
});
