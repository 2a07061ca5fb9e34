import { describe, expect, it } from "vitest";
import { displayPrefix, expiresSoon, formatDate, formatDateTime, formatRelative } from "./format";

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

describe("formatDate and formatDateTime", () => {
  it("read in Paris time wherever the code runs", () => {
    const lateEvening = new Date("2030-05-14T22:30:00Z"); // 00:30 the next day in Paris (CEST)
    expect(formatDate(lateEvening)).toBe("May 15, 2030");
    expect(formatDateTime(lateEvening)).toBe("May 15, 2030, 12:30 AM");
  });
});

describe("expiresSoon", () => {
  const now = new Date("2026-12-04T12:00:00Z");
  const inHours = (hours: number) => new Date(now.getTime() + hours * 3_600_000);
  it("counts whole days, then hours, within two weeks ahead; says nothing otherwise", () => {
    expect(expiresSoon(inHours(3 * 24 + 5), now)).toBe("Expires in 3 days");
    expect(expiresSoon(inHours(24), now)).toBe("Expires in 1 day");
    expect(expiresSoon(inHours(5.5), now)).toBe("Expires in 5 hours");
    expect(expiresSoon(inHours(0.5), now)).toBe("Expires in less than an hour");
    expect(expiresSoon(inHours(15 * 24), now)).toBeNull();
    expect(expiresSoon(inHours(-1), now)).toBeNull();
  });
});
