import { describe, expect, it } from "vitest";
import { McpCallLimiter } from "./call-limits";

describe("MCP call limits", () => {
  it("lets a burst through, then refuses with the wait until the next call is allowed", () => {
    let now = 0;
    const limiter = new McpCallLimiter({ perMinute: 60, concurrency: 100 }, () => now);
    for (let i = 0; i < 10; i++) {
      const admitted = limiter.admit("token-a", "user-a");
      expect(admitted.ok).toBe(true);
      if (admitted.ok) admitted.release();
    }
    const refused = limiter.admit("token-a", "user-a");
    expect(refused).toMatchObject({ ok: false, retryAfterSeconds: 1 });
    if (!refused.ok) expect(refused.message).toMatch(/at most 60 a minute/);
    // Another token of the same person has its own bucket.
    expect(limiter.admit("token-b", "user-a").ok).toBe(true);
    now += 1000;
    expect(limiter.admit("token-a", "user-a").ok).toBe(true);
  });

  it("caps the calls one person has in flight, across tokens, and frees a slot on release", () => {
    const limiter = new McpCallLimiter({ perMinute: 6000, concurrency: 2 });
    const first = limiter.admit("token-a", "user-a");
    const second = limiter.admit("token-b", "user-a");
    expect(first.ok && second.ok).toBe(true);
    const third = limiter.admit("token-c", "user-a");
    expect(third).toMatchObject({ ok: false, retryAfterSeconds: 1 });
    expect(limiter.admit("token-d", "user-b").ok).toBe(true);
    if (first.ok) {
      first.release();
      first.release(); // twice is harmless
    }
    expect(limiter.admit("token-c", "user-a").ok).toBe(true);
    expect(limiter.admit("token-c", "user-a").ok).toBe(false);
  });
});
