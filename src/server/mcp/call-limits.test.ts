import { describe, expect, it } from "vitest";
import { generateTokenString } from "~/server/tokens/token";
import { mcpRateKey, McpCallLimiter } from "./call-limits";

describe("MCP call limits", () => {
  it("lets a burst through, then refuses with the wait until the next call is allowed", () => {
    let now = 0;
    const limiter = new McpCallLimiter({ perMinute: 60, concurrency: 100 }, () => now);
    for (let i = 0; i < 10; i++) expect(limiter.takeCall("token-a")).toBeNull();
    const refused = limiter.takeCall("token-a");
    expect(refused).toMatchObject({ ok: false, retryAfterSeconds: 1 });
    expect(refused?.message).toMatch(/at most 60 a minute/);
    // Another token has its own bucket.
    expect(limiter.takeCall("token-b")).toBeNull();
    now += 1000;
    expect(limiter.takeCall("token-a")).toBeNull();
    expect(limiter.takeCall("token-a")).not.toBeNull();
  });

  it("caps the calls one person has in flight, across tokens, and frees a slot on release", () => {
    const limiter = new McpCallLimiter({ perMinute: 6000, concurrency: 2 });
    const first = limiter.enter("user-a");
    const second = limiter.enter("user-a");
    expect(first.ok && second.ok).toBe(true);
    expect(limiter.enter("user-a")).toMatchObject({ ok: false, retryAfterSeconds: 1 });
    expect(limiter.enter("user-b").ok).toBe(true);
    if (first.ok) {
      first.release();
      first.release(); // twice is harmless
    }
    expect(limiter.enter("user-a").ok).toBe(true);
    expect(limiter.enter("user-a").ok).toBe(false);
  });

  it("keys the rate before verification on the credential, so padding the header gets no fresh bucket", () => {
    const token = generateTokenString();
    const key = mcpRateKey(`Bearer ${token}`);
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(key).not.toContain(token);
    for (const header of [`Bearer  ${token}`, `bearer\t${token}`, `Bearer ${" ".repeat(1000)}${token}  `]) {
      expect(mcpRateKey(header)).toBe(key);
    }
    expect(mcpRateKey(`Bearer ${generateTokenString()}`)).not.toBe(key);
    expect(mcpRateKey(null)).toBeNull();
    expect(mcpRateKey("Bearer    ")).toBeNull();

    // The flood of the report: one token sent with 1 to 1000 spaces is refused once its burst is spent.
    const limiter = new McpCallLimiter({ perMinute: 600, concurrency: 4 }, () => 0);
    let admitted = 0;
    for (let spaces = 1; spaces <= 1000; spaces++) {
      const rateKey = mcpRateKey(`Bearer${" ".repeat(spaces)}${token}`);
      if (rateKey && limiter.takeCall(rateKey) === null) admitted++;
    }
    expect(admitted).toBe(100);
  });
});
