import { describe, expect, it } from "vitest";
import { customDateRange, customExpiryDays, todayDate } from "./expiration";

// 23:30 UTC on 3 December is already 4 December in Paris, still the 3rd in New York.
const NOW = new Date("2026-12-03T23:30:00Z");

describe("custom expiry dates", () => {
  it("counts from today in the display zone, from tomorrow up to the same day next year", () => {
    expect(todayDate(NOW, "Europe/Paris")).toBe("2026-12-04");
    expect(customDateRange(NOW, "Europe/Paris")).toEqual({ min: "2026-12-05", max: "2027-12-04" });
    expect(customExpiryDays("2026-12-05", NOW, "Europe/Paris")).toEqual({ days: 1 });
    expect(customExpiryDays("2027-01-03", NOW, "Europe/Paris")).toEqual({ days: 30 });
    expect(customExpiryDays("2027-12-04", NOW, "Europe/Paris")).toEqual({ days: 365 });
  });

  it("counts from the person's own today", () => {
    expect(todayDate(NOW, "America/New_York")).toBe("2026-12-03");
    expect(customDateRange(NOW, "America/New_York")).toEqual({ min: "2026-12-04", max: "2027-12-03" });
    expect(customExpiryDays("2026-12-04", NOW, "America/New_York")).toEqual({ days: 1 });
  });

  it("says what is wrong with a date it cannot use", () => {
    expect(customExpiryDays("", NOW, "Europe/Paris")).toEqual({ error: "Choose the date the token expires on." });
    expect(customExpiryDays("2026-12-04", NOW, "Europe/Paris")).toEqual({ error: "Choose a date after today." });
    expect(customExpiryDays("2027-12-05", NOW, "Europe/Paris")).toEqual({ error: "Choose a date within a year from today." });
    expect(customExpiryDays("2027-02-30", NOW, "Europe/Paris")).toEqual({ error: "Enter a date as YYYY-MM-DD." });
    expect(customExpiryDays("tomorrow", NOW, "Europe/Paris")).toEqual({ error: "Enter a date as YYYY-MM-DD." });
  });

  it("allows 366 days across a leap day, and ends on 28 February a year after a 29th", () => {
    const leap = new Date("2028-02-29T12:00:00Z");
    expect(customDateRange(leap, "Europe/Paris").max).toBe("2029-02-28");
    expect(customExpiryDays("2029-02-28", leap, "Europe/Paris")).toEqual({ days: 365 });
    expect(customExpiryDays("2028-03-01", new Date("2027-03-01T12:00:00Z"), "Europe/Paris")).toEqual({ days: 366 });
  });
});
