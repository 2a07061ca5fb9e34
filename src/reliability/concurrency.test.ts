import { describe, expect, it } from "vitest";
import { MAX_ACTIVE_TOKENS } from "~/server/tokens/schemas";
import { testDatabaseUrl } from "~/test/env";
import { startTestServer } from "~/test/fixtures";
import { signUpOverHttp } from "~/test/trpc-http";
import { createToken, postMcp, REQUEST_BOUND_MS, SERVER_ENV, toolCall, withPostgres } from "./fixtures";

// Issue 6, concurrency: revocation is instant under load, and the token cap and name rule hold exactly
// when one person's requests race. On PostgreSQL (real parallel connections), where races are real.

const CALLS = 500;
const SPREAD_MS = 2000;
/** When, within the first wave, the revocation is sent. */
const REVOKE_AT_MS = 400;
const GENERATE_CALLS = 50;
const PREEXISTING_TOKENS = 40;

describe.runIf(testDatabaseUrl)("concurrency", () => {
  const server = startTestServer({ env: SERVER_ENV });

  it(`refuses every one of ${CALLS} concurrent MCP calls that starts after its token's revocation resolved`, { timeout: 60_000 }, async () => {
    const person = await signUpOverHttp(server.url);
    const { token, id } = await createToken(person, "under load", ["read:data"]);
    const body = toolCall("whoami");

    interface Outcome {
      startedAt: number;
      status: number | "no answer";
    }
    const call = async (delay: number): Promise<Outcome> => {
      await new Promise((resolve) => setTimeout(resolve, delay));
      const startedAt = performance.now();
      try {
        const response = await postMcp(server.url, body, { token, timeoutMs: 20_000 });
        await response.arrayBuffer();
        return { startedAt, status: response.status };
      } catch {
        return { startedAt, status: "no answer" };
      }
    };

    // Two waves of 250, each staggered over a second: the first straddles the revocation, the second starts
    // once it has resolved (the busy server answers the revoke late, so a fixed schedule could miss "after").
    const wave = (size: number) => Array.from({ length: size }, (_, index) => call((index * SPREAD_MS) / 2 / size));
    const firstWave = wave(CALLS / 2);
    await new Promise((resolve) => setTimeout(resolve, REVOKE_AT_MS));
    const revokeStartedAt = performance.now();
    await person.client.tokens.revoke.mutate({ id });
    const revokeResolvedAt = performance.now();
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, SPREAD_MS / 2 - (revokeResolvedAt - revokeStartedAt) - REVOKE_AT_MS)));
    const outcomes = await Promise.all([...firstWave, ...wave(CALLS / 2)]);

    const statuses = new Map<string, number>();
    for (const { status } of outcomes) statuses.set(String(status), (statuses.get(String(status)) ?? 0) + 1);
    const summary = `${JSON.stringify(Object.fromEntries(statuses))}, revoke took ${Math.round(revokeResolvedAt - revokeStartedAt)} ms`;

    // Every call got an answer, and only 200 (before) or 401 (after): no 5xx, no hang under load.
    for (const { status } of outcomes) expect(["200", "401"], summary).toContain(String(status));

    const after = outcomes.filter((outcome) => outcome.startedAt > revokeResolvedAt);
    const before = outcomes.filter((outcome) => outcome.startedAt < revokeStartedAt);
    // The stagger must really straddle the revocation, or this test proves nothing.
    expect(after.length, summary).toBeGreaterThanOrEqual(CALLS / 2);
    expect(before.filter((outcome) => outcome.status === 200).length, summary).toBeGreaterThan(0);
    expect(after.filter((outcome) => outcome.status !== 401), summary).toEqual([]);
  });

  it(`holds the cap of ${MAX_ACTIVE_TOKENS} active tokens and unique names under ${GENERATE_CALLS} parallel generate calls`, { timeout: 60_000 }, async () => {
    const person = await signUpOverHttp(server.url);
    for (let batch = 0; batch < PREEXISTING_TOKENS; batch += 10) {
      await Promise.all(Array.from({ length: 10 }, (_, index) => createToken(person, `existing ${batch + index}`, ["read:data"])));
    }

    // 25 names, each asked for twice at once, while only 10 slots remain.
    const names = Array.from({ length: GENERATE_CALLS }, (_, index) => `racer ${index % 25}`);
    const results = await Promise.allSettled(
      names.map((name) => person.client.tokens.generate.mutate({ name, scopes: ["read:data"], expiresInDays: 7 })),
    );

    const created = results.flatMap((result) => (result.status === "fulfilled" ? [result.value] : []));
    const failures = results.flatMap((result) => (result.status === "rejected" ? [result.reason as unknown] : []));
    expect(created).toHaveLength(MAX_ACTIVE_TOKENS - PREEXISTING_TOKENS);
    expect(new Set(created.map((token) => token.name)).size).toBe(created.length);

    for (const failure of failures) {
      const error = failure as { message?: string; data?: { code?: string; httpStatus?: number } };
      expect(["CONFLICT", "FORBIDDEN"], error.message).toContain(error.data?.code);
      expect(error.data?.httpStatus).toBeLessThan(500);
      expect(error.message?.length ?? 0).toBeGreaterThan(10);
    }
    // 25 distinct names for 10 slots: name clashes alone cannot explain the refusals, the cap must show.
    expect(failures.some((failure) => (failure as { data?: { code?: string } }).data?.code === "FORBIDDEN")).toBe(true);

    const listed = await person.client.tokens.list.query();
    const active = listed.filter((token) => token.status === "active");
    expect(active).toHaveLength(MAX_ACTIVE_TOKENS);
    expect(new Set(active.map((token) => token.name.toLowerCase())).size).toBe(active.length);

    // The database agrees with the API, not just the list.
    const [row] = await withPostgres(
      server.databaseUrl,
      (sql) => sql<{ active: number; distinct_names: number }[]>`
        select count(*)::int as active, count(distinct lower(name))::int as distinct_names from api_tokens t
        join users u on u.id = t.user_id
        where u.email = ${person.email} and t.revoked_at is null and (t.expires_at is null or t.expires_at > now())`,
    );
    expect(row).toEqual({ active: MAX_ACTIVE_TOKENS, distinct_names: MAX_ACTIVE_TOKENS });

    // At the cap, another burst is refused entirely, with the cap's message.
    const more = await Promise.allSettled(
      Array.from({ length: 10 }, (_, index) => person.client.tokens.generate.mutate({ name: `over cap ${index}`, scopes: ["read:data"], expiresInDays: 7 })),
    );
    for (const result of more) {
      expect(result.status).toBe("rejected");
      if (result.status === "rejected") expect((result.reason as { data?: { code?: string } }).data?.code).toBe("FORBIDDEN");
    }
  });

  it("answers each MCP call within the request bound while 100 run at once", { timeout: 30_000 }, async () => {
    const person = await signUpOverHttp(server.url);
    const { token } = await createToken(person, "burst", ["read:data"]);
    const outcomes = await Promise.all(
      Array.from({ length: 100 }, async () => {
        const startedAt = performance.now();
        const response = await postMcp(server.url, toolCall("hospitals_search", { city: "paris", limit: 5 }), { token });
        await response.arrayBuffer();
        return { status: response.status, elapsed: performance.now() - startedAt };
      }),
    );
    expect(outcomes.every((outcome) => outcome.status === 200)).toBe(true);
    expect(Math.max(...outcomes.map((outcome) => outcome.elapsed))).toBeLessThan(REQUEST_BOUND_MS);
  });
});
