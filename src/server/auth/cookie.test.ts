import { afterEach, describe, expect, it, vi } from "vitest";

async function loadCookieModule(appUrl: string) {
  vi.stubEnv("APP_URL", appUrl);
  vi.resetModules();
  return import("./cookie");
}

const TOKEN = "a".repeat(32);

describe("session cookie", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it("is HttpOnly, SameSite=Lax, Path=/ and lives until the session expires", async () => {
    const { sessionCookie } = await loadCookieModule("http://localhost:3000");
    const now = Date.parse("2030-01-01T00:00:00Z");
    expect(sessionCookie(TOKEN, new Date(now + 30 * 86_400_000), now)).toBe(
      `carestral_session=${TOKEN}; HttpOnly; SameSite=Lax; Path=/; Max-Age=2592000`,
    );
    // Only a token we made is ever written into Set-Cookie.
    expect(() => sessionCookie("abc; Domain=evil.example", new Date(now + 1000), now)).toThrow();
  });

  it("is Secure and named __Host- when the app is served over https", async () => {
    const { sessionCookie, expiredSessionCookie, SESSION_COOKIE_NAME } = await loadCookieModule("https://carestral.example");
    expect(SESSION_COOKIE_NAME).toBe("__Host-carestral_session");
    expect(sessionCookie(TOKEN, new Date(Date.now() + 60_000))).toMatch(/; Secure$/);
    expect(expiredSessionCookie()).toBe("__Host-carestral_session=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0; Secure");
  });

  it("is read by one parser: duplicates are refused, names trimmed, values never decoded", async () => {
    const { readSessionCookie } = await loadCookieModule("http://localhost:3000");
    expect(readSessionCookie(null)).toEqual({ kind: "none" });
    expect(readSessionCookie("other=1; carestral_sessionx=2")).toEqual({ kind: "none" });
    expect(readSessionCookie(`a=1; carestral_session=${TOKEN}`)).toEqual({ kind: "one", token: TOKEN });
    expect(readSessionCookie(`\tcarestral_session=${TOKEN}`)).toEqual({ kind: "one", token: TOKEN });
    expect(readSessionCookie(`carestral_session=${TOKEN}; carestral_session=${"b".repeat(32)}`)).toEqual({ kind: "several" });
    expect(readSessionCookie(`carestral_session=${TOKEN};\tcarestral_session=x`)).toEqual({ kind: "several" });
    // Present but not one of our tokens: treated as a dead session, never echoed.
    expect(readSessionCookie("carestral_session=abc%3B%20Domain%3Devil")).toEqual({ kind: "one", token: "" });
  });
});
