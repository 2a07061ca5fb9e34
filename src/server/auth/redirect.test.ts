import { describe, expect, it } from "vitest";
import { clientIpFromHeaders } from "./client-ip";
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

describe("clientIpFromHeaders", () => {
  it("takes the address the nearest proxy appended to X-Forwarded-For", () => {
    expect(clientIpFromHeaders(new Headers({ "x-forwarded-for": "203.0.113.9, 198.51.100.7" }))).toBe("198.51.100.7");
    expect(clientIpFromHeaders(new Headers({ "x-forwarded-for": "::1" }))).toBe("::1");
  });

  it("falls back to X-Real-IP, then to a shared bucket", () => {
    expect(clientIpFromHeaders(new Headers({ "x-real-ip": "198.51.100.8" }))).toBe("198.51.100.8");
    expect(clientIpFromHeaders(new Headers())).toBe("unknown");
  });
});
