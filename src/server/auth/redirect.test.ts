import { describe, expect, it } from "vitest";
import { safeNextPath } from "./redirect";

describe("safeNextPath", () => {
  it.each(["/dashboard/tokens", "/dashboard/bookings?status=confirmed", "/dashboard/tokens#new"])("keeps the same-site path %s", (path) => {
    expect(safeNextPath(path)).toBe(path);
  });

  it.each([
    undefined,
    "",
    ["/dashboard/bookings"],
    "https://evil.example/",
    "//evil.example/path",
    "/\\evil.example",
    "/\t/evil.example",
    "/..//evil.example",
    "/.//evil.example",
    "/%2e%2e//evil.example",
    "/dashboard/..//evil.example/x",
    "javascript:alert(1)",
    "dashboard/tokens",
  ])("sends %j to the dashboard instead", (next) => {
    expect(safeNextPath(next)).toBe("/dashboard/tokens");
  });
});
