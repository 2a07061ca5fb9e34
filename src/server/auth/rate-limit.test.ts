import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { authRateLimits } from "~/server/db/schema";
import { engines } from "~/test/db";
import { useTestDatabase } from "~/test/fixtures";
import { consumeAuthAttempt, consumeRateLimit, EMAIL_CEILING_FACTOR } from "./rate-limit";

const rule = { limit: 3, windowMs: 60_000 };

describe.each(engines)("auth rate limits on %s", (engine) => {
  const testDb = useTestDatabase(engine);

  it("allows `limit` attempts in a window, then says how long until the window ends", async () => {
    const start = new Date("2030-01-01T10:00:00Z");
    const at = (seconds: number) => new Date(start.getTime() + seconds * 1000);
    for (let attempt = 0; attempt < 3; attempt++) {
      expect(await consumeRateLimit(testDb.db, "test:window", rule, at(attempt))).toEqual({ allowed: true });
    }
    expect(await consumeRateLimit(testDb.db, "test:window", rule, at(18))).toEqual({ allowed: false, retryAfterSeconds: 42 });
    expect(await consumeRateLimit(testDb.db, "test:window", rule, at(59.5))).toEqual({ allowed: false, retryAfterSeconds: 1 });
    // A new window starts a minute after the first attempt.
    expect(await consumeRateLimit(testDb.db, "test:window", rule, at(60))).toEqual({ allowed: true });
    const [row] = await testDb.db.select().from(authRateLimits).where(eq(authRateLimits.key, "test:window"));
    expect(row).toEqual({ key: "test:window", count: 1, windowStartedAt: at(60) });
  });

  it("refuses attempts past the limit without writing: the counter stays where the limit was crossed", async () => {
    const now = new Date();
    const email = "flood@example.test";
    const ip = "192.0.2.99";
    for (let attempt = 0; attempt < rule.limit; attempt++) {
      expect((await consumeAuthAttempt(testDb.db, { kind: "signin", ip, email }, rule, now)).allowed).toBe(true);
    }
    const before = await testDb.db.select().from(authRateLimits).orderBy(authRateLimits.key);
    for (let attempt = 0; attempt < 20; attempt++) {
      expect(await consumeAuthAttempt(testDb.db, { kind: "signin", ip, email }, rule, now)).toMatchObject({ allowed: false });
    }
    expect(await testDb.db.select().from(authRateLimits).orderBy(authRateLimits.key)).toEqual(before);
  });

  it("counts concurrent attempts exactly (one atomic upsert each): exactly `limit` of them pass", async () => {
    const now = new Date();
    const results = await Promise.all(
      Array.from({ length: 8 }, () => consumeRateLimit(testDb.db, "test:concurrent", rule, now)),
    );
    expect(results.filter((result) => result.allowed)).toHaveLength(3);
    // Attempts that read the counter after it reached the limit wrote nothing; the others each counted once.
    const [row] = await testDb.db.select({ count: authRateLimits.count }).from(authRateLimits).where(eq(authRateLimits.key, "test:concurrent"));
    expect(row?.count).toBeGreaterThanOrEqual(3);
    expect(row?.count).toBeLessThanOrEqual(8);
  });

  it("keys the tight limit on (email, client): guesses from elsewhere do not lock the owner out", async () => {
    const now = new Date();
    const email = "target@example.test";
    for (let attempt = 0; attempt < rule.limit; attempt++) {
      expect(await consumeAuthAttempt(testDb.db, { kind: "signin", ip: "192.0.2.66", email }, rule, now)).toEqual({ allowed: true });
    }
    // The guesser is refused, for this email and for any other: the per-client limit.
    expect((await consumeAuthAttempt(testDb.db, { kind: "signin", ip: "192.0.2.66", email }, rule, now)).allowed).toBe(false);
    expect((await consumeAuthAttempt(testDb.db, { kind: "signin", ip: "192.0.2.66", email: "other@example.test" }, rule, now)).allowed).toBe(false);
    // The owner, from their own address, still gets in.
    expect(await consumeAuthAttempt(testDb.db, { kind: "signin", ip: "198.51.100.7", email }, rule, now)).toEqual({ allowed: true });
    // Sign-up counters are separate from sign-in ones.
    expect(await consumeAuthAttempt(testDb.db, { kind: "signup", ip: "192.0.2.66", email }, rule, now)).toEqual({ allowed: true });
  });

  it("keeps a per-email ceiling against guessing spread over many addresses", async () => {
    const now = new Date();
    const email = "spread@example.test";
    const ceiling = rule.limit * EMAIL_CEILING_FACTOR;
    for (let attempt = 0; attempt < ceiling; attempt++) {
      const result = await consumeAuthAttempt(testDb.db, { kind: "signin", ip: `203.0.113.${attempt}`, email }, rule, now);
      expect(result).toEqual({ allowed: true });
    }
    expect((await consumeAuthAttempt(testDb.db, { kind: "signin", ip: "198.51.100.8", email }, rule, now)).allowed).toBe(false);
  });
});
