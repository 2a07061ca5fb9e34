import { afterEach, describe, expect, it, vi } from "vitest";

async function load(appUrl: string) {
  vi.stubEnv("APP_URL", appUrl);
  vi.resetModules();
  return import("./security-headers");
}

describe("security headers", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it("builds one CSP, with extra form-action sources for a consent form that redirects", async () => {
    const { contentSecurityPolicy } = await load("http://localhost:3000");
    const csp = contentSecurityPolicy({ nonce: "abc", formActionSources: ["https://client.example/callback?x=1", "com.example.app:/cb"] });
    expect(csp).toContain("script-src 'self' 'nonce-abc' 'strict-dynamic'");
    expect(csp).not.toContain("unsafe-eval");
    // Workers (the offline page's service worker) from our origin only, whatever 'strict-dynamic' allows scripts.
    expect(csp.split("; ")).toContain("worker-src 'self'");
    expect(csp).toContain("form-action 'self' https://client.example/callback com.example.app:");
    expect(csp).not.toContain("upgrade-insecure-requests");
    expect(contentSecurityPolicy({ nonce: "abc", development: true })).toContain("'unsafe-eval'");
  });

  it("adds HSTS and upgrade-insecure-requests only under https", async () => {
    const http = await load("http://localhost:3000");
    expect(http.baseSecurityHeaders()["Strict-Transport-Security"]).toBeUndefined();
    const https = await load("https://carestral.example");
    expect(https.baseSecurityHeaders()["Strict-Transport-Security"]).toMatch(/max-age=\d+/);
    expect(https.contentSecurityPolicy({ nonce: "n" })).toContain("upgrade-insecure-requests");
  });
});
