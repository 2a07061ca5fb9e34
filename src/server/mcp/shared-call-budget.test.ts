import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { apiTokens, mcpCallWindows, mcpPersonCallWindows, users } from "~/server/db/schema";
import { engines } from "~/test/db";
import { useTestDatabase } from "~/test/fixtures";
import { SharedCallBudget } from "./shared-call-budget";
import { log } from "~/server/observability/logger";

// An hour-long window unless a test is about windows ending: no window turns over mid-test.
const HOUR = 3600;

describe.each(engines)("the shared MCP call budget on %s", (engine) => {
  const testDb = useTestDatabase(engine);
  let userId: string;
  let tokenCount = 0;

  beforeAll(async () => {
    const [user] = await testDb.db
      .insert(users)
      .values({ email: "budget@example.com", firstname: "Ada", surname: "Budget", passwordHash: "not-a-real-hash" })
      .returning({ id: users.id });
    userId = user?.id ?? "";
  });

  async function newToken(): Promise<string> {
    tokenCount += 1;
    const [token] = await testDb.db
      .insert(apiTokens)
      .values({ userId, name: `budget ${tokenCount}`, tokenHash: `hash-${tokenCount}-${crypto.randomUUID()}`, tokenPrefix: "mcp_test", scopes: ["read:data"] })
      .returning({ id: apiTokens.id });
    return token?.id ?? "";
  }

  async function newPerson(): Promise<string> {
    const [user] = await testDb.db
      .insert(users)
      .values({ email: `budget-${crypto.randomUUID()}@example.com`, firstname: "Grace", surname: "Budget", passwordHash: "not-a-real-hash" })
      .returning({ id: users.id });
    return user?.id ?? "";
  }

  /** A budget as one instance holds it; `asks` counts its trips to the database. */
  function instance(perMinute: number, windowSeconds = HOUR, per: "token" | "person" = "token") {
    const counter = { asks: 0 };
    const budget = new SharedCallBudget(
      async () => {
        counter.asks += 1;
        return testDb.db;
      },
      { per, perMinute, windowSeconds },
    );
    return { budget, counter };
  }

  async function admittedOf(budget: SharedCallBudget, tokenId: string, calls: number): Promise<number> {
    let admitted = 0;
    for (let i = 0; i < calls; i++) if ((await budget.takeCall(tokenId)) === null) admitted += 1;
    return admitted;
  }

  it("admits the limit, then refuses with the wait until the window ends", async () => {
    const tokenId = await newToken();
    const { budget } = instance(30);
    expect(await admittedOf(budget, tokenId, 30)).toBe(30);
    const refusal = await budget.takeCall(tokenId);
    expect(refusal).toMatchObject({ ok: false });
    expect(refusal?.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(refusal?.retryAfterSeconds).toBeLessThanOrEqual(HOUR);
    expect(refusal?.message).toMatch(/at most 30 per 3600 s, counted across all servers/);
    // Another token has its own budget.
    expect(await budget.takeCall(await newToken())).toBeNull();
  });

  it("shares one budget between instances: calls alternating over two never exceed it", async () => {
    const tokenId = await newToken();
    const a = instance(40);
    const b = instance(40);
    let admitted = 0;
    for (let i = 0; i < 100; i++) {
      if ((await (i % 2 === 0 ? a : b).budget.takeCall(tokenId)) === null) admitted += 1;
    }
    expect(admitted).toBeLessThanOrEqual(40);
    // Leases left unused on one instance are lost to the other, never more than about half.
    expect(admitted).toBeGreaterThanOrEqual(20);
    expect(await a.budget.takeCall(tokenId)).not.toBeNull();
    expect(await b.budget.takeCall(tokenId)).not.toBeNull();
    // A third instance arriving late finds the window used up too.
    expect(await instance(40).budget.takeCall(tokenId)).not.toBeNull();
  });

  it("counts concurrent calls on one instance exactly", async () => {
    const tokenId = await newToken();
    const { budget } = instance(20);
    const results = await Promise.all(Array.from({ length: 50 }, () => budget.takeCall(tokenId)));
    expect(results.filter((result) => result === null)).toHaveLength(20);
  });

  it("costs a busy token a database trip every 100 calls or fewer, not one per call", async () => {
    const tokenId = await newToken();
    const { budget, counter } = instance(100_000);
    expect(await admittedOf(budget, tokenId, 2_000)).toBe(2_000);
    // Leases of 100 (the largest): 20 trips for 2,000 calls.
    expect(counter.asks).toBe(20);
    const [row] = await testDb.db.select({ calls: mcpCallWindows.calls }).from(mcpCallWindows).where(eq(mcpCallWindows.tokenId, tokenId));
    expect(row?.calls).toBeGreaterThanOrEqual(2_000);
    expect(row?.calls).toBeLessThanOrEqual(2_100);
  });

  it("starts a new budget when the window ends", async () => {
    const tokenId = await newToken();
    const { budget } = instance(3, 1);
    // Start just after a second begins, so the three calls and the refusal fall in one window.
    await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 20));
    expect(await admittedOf(budget, tokenId, 3)).toBe(3);
    expect(await budget.takeCall(tokenId)).toMatchObject({ ok: false, retryAfterSeconds: 1 });
    await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 20));
    expect(await budget.takeCall(tokenId)).toBeNull();
  });

  it("counts a person's calls in a budget of their own, shared between instances, and forgets it with the person", async () => {
    const personId = await newPerson();
    const a = instance(10, HOUR, "person");
    const b = instance(10, HOUR, "person");
    let admitted = 0;
    for (let i = 0; i < 30; i++) {
      if ((await (i % 2 === 0 ? a : b).budget.takeCall(personId)) === null) admitted += 1;
    }
    expect(admitted).toBeLessThanOrEqual(10);
    expect(admitted).toBeGreaterThanOrEqual(5);
    const refusal = await a.budget.takeCall(personId);
    expect(refusal?.message).toMatch(/^Too many calls from your account \(all of its tokens together\): at most 10 per 3600 s, counted across all servers\. Retry after \d+ s\.$/);
    // The person's count is not any token's: a token budget keyed the same is untouched.
    const [row] = await testDb.db.select({ calls: mcpPersonCallWindows.calls }).from(mcpPersonCallWindows).where(eq(mcpPersonCallWindows.userId, personId));
    expect(row?.calls).toBeGreaterThanOrEqual(10);
    expect(await testDb.db.select().from(mcpCallWindows).where(eq(mcpCallWindows.tokenId, personId))).toEqual([]);

    await testDb.db.delete(users).where(eq(users.id, personId));
    expect(await testDb.db.select().from(mcpPersonCallWindows).where(eq(mcpPersonCallWindows.userId, personId))).toEqual([]);
  });

  it("forgets a token's window when the token is deleted", async () => {
    const tokenId = await newToken();
    await instance(10).budget.takeCall(tokenId);
    await testDb.db.delete(apiTokens).where(eq(apiTokens.id, tokenId));
    expect(await testDb.db.select().from(mcpCallWindows).where(eq(mcpCallWindows.tokenId, tokenId))).toEqual([]);
  });
});

describe("the shared MCP call budget without its database", () => {
  it("admits on the instance's own limits and says so in the log, once", async () => {
    const error = vi.spyOn(log, "error").mockImplementation(() => {});
    const budget = new SharedCallBudget(() => Promise.reject(new Error("connection refused")), { perMinute: 5 });
    try {
      for (let i = 0; i < 10; i++) expect(await budget.takeCall("00000000-0000-4000-8000-000000000000")).toBeNull();
      expect(error).toHaveBeenCalledTimes(1);
      expect(String(error.mock.calls[0]?.[0])).toMatch(/shared MCP rate per token could not be counted.*connection refused/);
    } finally {
      error.mockRestore();
    }
  });
});
