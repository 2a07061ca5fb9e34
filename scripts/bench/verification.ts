// Token verification through the service, one call at a time: 1 000 vs 1 000 000 rows in api_tokens, and an
// OAuth access token (mcpo_) vs a personal one (mcp_).
import { sql } from "drizzle-orm";
import { openDatabase, type Database } from "../../src/server/db/client";
import { users } from "../../src/server/db/schema";
import { mcpResourceUrl } from "../../src/server/oauth/metadata";
import { generateToken, settleLastUsedWrites, verifyBearerToken } from "../../src/server/tokens/service";
import { issueOAuthTokens } from "../../src/test/oauth-in-process";
import { createScratchDatabase, percentile, quick, round, type Figures } from "./lib";

const LARGE_TABLE = quick ? 100_000 : 1_000_000;
const SMALL_TABLE = 1_000;
const SAMPLES = quick ? 2_000 : 10_000;

export async function benchVerification(): Promise<Figures> {
  const database = await createScratchDatabase("bench_verify");
  const handle = await openDatabase({ engine: "postgres", url: database.url, maxConnections: 4 });
  try {
    await handle.migrate();
    const { db } = handle;
    const personal: string[] = [];
    const oauth: string[] = [];
    // 200 personal tokens across 20 people (the service caps active tokens at 50 each), and 20 OAuth connections.
    for (let person = 0; person < 20; person++) {
      const [user] = await db
        .insert(users)
        .values({ email: `bench-${person}@example.test`, firstname: "Bench", surname: `${person}`, passwordHash: "not-a-password-hash" })
        .returning({ id: users.id });
      if (!user) throw new Error("no user");
      for (let n = 0; n < 10; n++) {
        personal.push((await generateToken(db, user.id, { name: `bench ${n}`, scopes: ["read:data"], expiresInDays: 30 })).token);
      }
      oauth.push((await issueOAuthTokens(db, user.id, ["read:data"])).accessToken);
    }
    const owner = (await db.select({ id: users.id }).from(users).limit(1))[0]?.id ?? "";

    await fill(db, owner, SMALL_TABLE);
    const small = await measure(db, personal);
    const smallOAuth = await measure(db, oauth);
    console.log(`verification with ${SMALL_TABLE} tokens: p50 ${small.p50_ms} ms (OAuth access token ${smallOAuth.p50_ms} ms), p99 ${small.p99_ms} ms`);
    console.log(`filling api_tokens to ${LARGE_TABLE} rows…`);
    await fill(db, owner, LARGE_TABLE);
    const large = await measure(db, personal);
    const largeOAuth = await measure(db, oauth);
    console.log(`verification with ${LARGE_TABLE} tokens: p50 ${large.p50_ms} ms (OAuth access token ${largeOAuth.p50_ms} ms), p99 ${large.p99_ms} ms`);
    return {
      [`rows_${SMALL_TABLE}`]: { personal: small, oauth_access: smallOAuth },
      [`rows_${LARGE_TABLE}`]: { personal: large, oauth_access: largeOAuth },
      p50_ratio_large_to_small: round(large.p50_ms / small.p50_ms, 2),
      p50_ratio_oauth_to_personal: round((smallOAuth.p50_ms + largeOAuth.p50_ms) / (small.p50_ms + large.p50_ms), 2),
    };
  } finally {
    await handle.close();
    await database.drop();
  }
}

/** Filler rows shaped like real ones (random hashes, the same index) up to `total`. */
async function fill(db: Database, owner: string, total: number): Promise<void> {
  const [{ count } = { count: 0 }] = (await db.execute(sql`select count(*)::int as count from api_tokens`)) as unknown as { count: number }[];
  const missing = total - count;
  if (missing <= 0) return;
  await db.execute(sql`
    insert into api_tokens (user_id, name, token_hash, token_prefix, scopes, expires_at)
    select ${owner}, 'filler ' || g, encode(sha256(convert_to(gen_random_uuid()::text, 'UTF8')), 'hex'), 'mcp_filler00',
           array['read:data'], now() + interval '30 days'
    from generate_series(1, ${missing}) as g`);
  await db.execute(sql`analyze api_tokens`);
}

/** Latency of one verification at a time (no batching can happen: nothing else is in flight). */
async function measure(db: Database, tokens: string[]): Promise<{ p50_ms: number; p99_ms: number }> {
  const header = (i: number) => `Bearer ${tokens[i % tokens.length]}`;
  for (let i = 0; i < 1000; i++) await verifyBearerToken(db, header(i), mcpResourceUrl()); // warm-up, and last_used writes
  await settleLastUsedWrites();
  const samples: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const started = performance.now();
    const result = await verifyBearerToken(db, header(i), mcpResourceUrl());
    samples.push(performance.now() - started);
    if (!result.ok) throw new Error(`verification failed: ${result.reason}`);
  }
  return { p50_ms: round(percentile(samples, 50), 3), p99_ms: round(percentile(samples, 99), 3) };
}
