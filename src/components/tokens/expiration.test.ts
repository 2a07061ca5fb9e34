import { describe, expect, it } from "vitest";
import { customDateRange, customExpiryDays, todayDate } from "./expiration";

// 23:30 UTC on 3 December is already 4 December in Paris, where dates are shown.
const NOW = new Date("2026-12-03T23:30:00Z");

describe("custom expiry dates", () => {
  it("counts from today in the display zone, from tomorrow up to the same day next year", () => {
    expect(todayDate(NOW)).toBe("2026-12-04");
    expect(customDateRange(NOW)).toEqual({ min: "2026-12-05", max: "2027-12-04" });
    expect(customExpiryDays("2026-12-05", NOW)).toEqual({ days: 1 });
    expect(customExpiryDays("2027-01-03", NOW)).toEqual({ days: 30 });
    expect(customExpiryDays("2027-12-04", NOW)).toEqual({ days: 365 });
  });

  it("says what is wrong with a date it cannot use", () => {
    expect(customExpiryDays("", NOW)).toEqual({ error: "Choose the date the token expires on." });
    expect(customExpiryDays("2026-12-04", NOW)).toEqual({ error: "Choose a date after today." });
    expect(customExpiryDays("2027-12-05", NOW)).toEqual({ error: "Choose a date within a year from today." });
    expect(customExpiryDays("2027-02-30", NOW)).toEqual({ error: "Enter a date as YYYY-MM-DD." });
    expect(customExpiryDays("tomorrow", NOW)).toEqual({ error: "Enter a date as YYYY-MM-DD." });
  });

  it("allows 366 days across a leap day, and ends on 28 February a year after a 29th", () => {
    const leap = new Date("2028-02-29T12:00:00Z");
    expect(customDateRange(leap).max).toBe("2029-02-28");
    expect(customExpiryDays("2029-02-28", leap)).toEqual({ days: 365 });
    expect(customExpiryDays("2028-03-01", new Date("2027-03-01T12:00:00Z"))).toEqual({ days: 366 });
  });
});
