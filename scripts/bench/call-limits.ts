// The per-token MCP rate, per call: the in-memory bucket every instance applies before verification, beside the
// count shared across instances (leases from mcp_call_windows), side by side with one verification, the
// database query every call already pays. Issue 10 asks the limits to keep the hot path's cost.
import { openDatabase, type Database } from "../../src/server/db/client";
import { users } from "../../src/server/db/schema";
import { McpCallLimiter } from "../../src/server/mcp/call-limits";
import { SharedCallBudget } from "../../src/server/mcp/shared-call-budget";
import { mcpResourceUrl } from "../../src/server/oauth/metadata";
import { generateToken, settleLastUsedWrites, verifyBearerToken } from "../../src/server/tokens/service";
import { createScratchDatabase, quick, round, type Figures } from "./lib";

const CALLS = quick ? 5_000 : 20_000;

export async function benchCallLimits(): Promise<Figures> {
  const database = await createScratchDatabase("bench_limits");
  const handle = await openDatabase({ engine: "postgres", url: database.url, maxConnections: 4 });
  try {
    await handle.migrate();
    const { db } = handle;
    const [user] = await db
      .insert(users)
      .values({ email: "limits@example.test", firstname: "Bench", surname: "Limits", passwordHash: "not-a-password-hash" })
      .returning({ id: users.id });
    if (!user) throw new Error("no user");
    const { id: tokenId, token } = await generateToken(db, user.id, { name: "limits", scopes: ["read:data"], expiresInDays: 30 });

    const bucket = new McpCallLimiter({ perMinute: 100_000_000, concurrency: 10 });
    const bucketMicros = await perCall(() => bucket.takeCall(token));

    // A busy token (the limit lifted as in the throughput sections): leases of 100.
    const shared = countingBudget(db, 100_000_000);
    const sharedMicros = await perCall(() => shared.budget.takeCall(tokenId));

    // The default limit, 600 a minute: how many writes a token calling at the limit costs.
    const { id: defaultTokenId } = await generateToken(db, user.id, { name: "default", scopes: ["read:data"], expiresInDays: 30 });
    const atDefault = countingBudget(db, 600);
    for (let i = 0; i < 600; i++) await atDefault.budget.takeCall(defaultTokenId);

    const verificationMicros = await perCall(() => verifyBearerToken(db, `Bearer ${token}`, mcpResourceUrl()), quick ? 1_000 : 5_000);
    await settleLastUsedWrites();

    const figures = {
      in_memory_bucket_us_per_call: round(bucketMicros, 3),
      shared_count_us_per_call: round(sharedMicros, 2),
      shared_count_writes_per_1000_calls: round((shared.trips() / CALLS) * 1000, 1),
      writes_for_600_calls_at_the_default_limit: atDefault.trips(),
      verification_us_per_call: round(verificationMicros, 1),
      shared_count_vs_verification: `${round((sharedMicros / verificationMicros) * 100, 1)}%`,
    };
    console.log(
      `per call: bucket ${figures.in_memory_bucket_us_per_call} µs, shared count ${figures.shared_count_us_per_call} µs ` +
        `(${figures.shared_count_writes_per_1000_calls} writes per 1000 calls), verification ${figures.verification_us_per_call} µs`,
    );
    return figures;
  } finally {
    await handle.close();
    await database.drop();
  }
}

/** A shared budget as one instance holds it, counting its trips to the database. */
function countingBudget(db: Database, perMinute: number): { budget: SharedCallBudget; trips: () => number } {
  let trips = 0;
  const budget = new SharedCallBudget(
    async () => {
      trips++;
      return db;
    },
    { perMinute },
  );
  return { budget, trips: () => trips };
}

/** Mean microseconds per call, one at a time, after a warm-up. */
async function perCall(call: () => unknown, calls = CALLS): Promise<number> {
  for (let i = 0; i < Math.min(1_000, calls / 10); i++) await call();
  const started = performance.now();
  for (let i = 0; i < calls; i++) await call();
  return ((performance.now() - started) * 1000) / calls;
}
