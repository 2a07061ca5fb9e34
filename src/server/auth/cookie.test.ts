import { afterEach, describe, expect, it, vi } from "vitest";

async function loadCookieModule(appUrl: string) {
  vi.stubEnv("APP_URL", appUrl);
  vi.resetModules();
  return import("./cookie");
}

describe("session cookie", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it("is HttpOnly, SameSite=Lax, Path=/ and lives until the session expires", async () => {
    const { sessionCookie } = await loadCookieModule("http://localhost:3000");
    const now = Date.parse("2030-01-01T00:00:00Z");
    expect(sessionCookie("token123", new Date(now + 30 * 86_400_000), now)).toBe(
      "carestral_session=token123; HttpOnly; SameSite=Lax; Path=/; Max-Age=2592000",
    );
  });

  it("is Secure when the app is served over https", async () => {
    const { sessionCookie, expiredSessionCookie, refreshedSessionCookie } = await loadCookieModule("https://carestral.example");
    expect(sessionCookie("t", new Date(Date.now() + 60_000))).toMatch(/; Secure$/);
    expect(refreshedSessionCookie("t")).toBe("carestral_session=t; HttpOnly; SameSite=Lax; Path=/; Max-Age=2592000; Secure");
    expect(expiredSessionCookie()).toBe("carestral_session=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0; Secure");
  });
});
