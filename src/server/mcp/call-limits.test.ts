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

  it("caps the calls one person has in flight, across tokens, and frees a slot on release", async () => {
    const limiter = new McpCallLimiter({ perMinute: 6000, concurrency: 2, queueLength: 0 });
    const first = await limiter.enter("user-a");
    const second = await limiter.enter("user-a");
    expect(first.ok && second.ok).toBe(true);
    expect(await limiter.enter("user-a")).toMatchObject({ ok: false, retryAfterSeconds: 1 });
    expect((await limiter.enter("user-b")).ok).toBe(true);
    if (first.ok) {
      first.release();
      first.release(); // twice is harmless
    }
    expect((await limiter.enter("user-a")).ok).toBe(true);
    expect((await limiter.enter("user-a")).ok).toBe(false);
  });

  it("lets an assistant's parallel calls wait their turn, in order, instead of refusing them", async () => {
    const limiter = new McpCallLimiter({ perMinute: 6000, concurrency: 4 });
    const order: number[] = [];
    // Eight parallel calls of one person, each holding its slot a moment: all are answered, none refused.
    const results = await Promise.all(
      Array.from({ length: 8 }, async (_, index) => {
        const admission = await limiter.enter("user-a");
        if (!admission.ok) return admission;
        order.push(index);
        await new Promise((resolve) => setTimeout(resolve, 20));
        admission.release();
        return admission;
      }),
    );
    expect(results.every((result) => result.ok)).toBe(true);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(limiter.waitingCount("user-a")).toBe(0);
  });

  it("refuses only past the bound: a full queue at once, a long wait after it, a client that left", async () => {
    const limiter = new McpCallLimiter({ perMinute: 6000, concurrency: 1, queueLength: 2, queueWaitMs: 50 });
    const held = await limiter.enter("user-a");
    expect(held.ok).toBe(true);
    const waiting = [limiter.enter("user-a"), limiter.enter("user-a")];
    // The queue is full: the next call is refused at once, with Retry-After.
    expect(await limiter.enter("user-a")).toMatchObject({ ok: false, retryAfterSeconds: 1, message: expect.stringMatching(/at most 1 at once/) });
    // Another person is not queued behind this one.
    expect((await limiter.enter("user-b")).ok).toBe(true);
    // Nobody released within the bound: both waiting calls are refused, and leave the queue.
    expect((await Promise.all(waiting)).map((result) => result.ok)).toEqual([false, false]);
    expect(limiter.waitingCount("user-a")).toBe(0);
    // A client that gives up leaves the queue at once.
    const controller = new AbortController();
    const leaving = limiter.enter("user-a", controller.signal);
    controller.abort();
    expect((await leaving).ok).toBe(false);
    // The slot still works as before once released.
    if (held.ok) held.release();
    expect((await limiter.enter("user-a")).ok).toBe(true);
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
