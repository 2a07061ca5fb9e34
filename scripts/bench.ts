// `npm run bench`: the figures behind DESIGN's performance claims, measured side by side in one run on
// this machine against a local PostgreSQL (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test;
// the bench creates its own databases there and drops them). Prints a table and writes bench-results/latest.json.
// Not a test: nothing here passes or fails, it reports.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import autocannon from "autocannon";
import { sql } from "drizzle-orm";
import { createPostgresDatabase, type ScratchDatabase } from "../src/test/postgres-database";

const adminUrl = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const quick = process.argv.includes("--quick"); // smaller numbers, for checking the script itself
const LARGE_TABLE = quick ? 100_000 : 1_000_000;
const SMALL_TABLE = 1_000;
const VERIFY_SAMPLES = quick ? 2_000 : 10_000;
const LOAD_SECONDS = quick ? 3 : 10;
const whoamiBody = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "whoami", arguments: {} } });

// The app's modules read configuration when first imported; set it before importing them.
const scratch = await createScratchDatabase("bench_inproc");
Object.assign(process.env, { DATABASE_URL: scratch.url, APP_URL: "http://127.0.0.1:3999", NODE_ENV: "production", MCP_RATE_LIMIT_PER_MINUTE: "100000000", MCP_CONCURRENCY_PER_USER: "10000" });

const { openDatabase } = await import("../src/server/db/client");
const { users } = await import("../src/server/db/schema");
// The benchmark measures throughput with one token over many connections: lift the per-token limits.
const UNLIMITED_MCP = { MCP_RATE_LIMIT_PER_MINUTE: "100000000", MCP_CONCURRENCY_PER_USER: "10000" };

const { generateToken, verifyBearerToken, settleLastUsedWrites } = await import("../src/server/tokens/service");

interface Figures {
  [key: string]: number | string | boolean | Figures;
}
const results: Figures = { machine: `${process.platform} ${process.arch}, node ${process.version}`, date: new Date().toISOString() };

// `--only=verification,revocation` runs a subset.
const only = process.argv.find((arg) => arg.startsWith("--only="))?.slice("--only=".length).split(",");
const wanted = (section: string) => !only || only.includes(section);

try {
  if (wanted("verification")) results.verification = await benchVerification();
  if (wanted("mcp_in_process")) results.mcp_in_process = await benchMcpInProcess();
  if (wanted("activity_trail")) results.activity_trail = await benchActivityTrail();
  if (wanted("activity_pages")) results.activity_pages = await benchActivityPages();
  if (wanted("mcp_http") || wanted("revocation")) await ensureBuild();
  if (wanted("mcp_http")) results.mcp_http = await benchMcpHttp();
  if (wanted("revocation")) results.revocation = await benchRevocation();
} finally {
  await scratch.drop();
}

printTable(results);
mkdirSync("bench-results", { recursive: true });
writeFileSync(path.join("bench-results", "latest.json"), `${JSON.stringify(results, null, 2)}\n`);
console.log("\nWritten to bench-results/latest.json");
process.exit(0);

// ── token verification at 1k and 1M rows ────────────────────────────────────────────────────────────
async function benchVerification(): Promise<Figures> {
  const database = await createScratchDatabase("bench_verify");
  const handle = await openDatabase({ engine: "postgres", url: database.url, maxConnections: 4 });
  try {
    await handle.migrate();
    const { db } = handle;
    const tokens: string[] = [];
    // 200 real tokens across 20 people (the service caps active tokens at 50 each).
    for (let person = 0; person < 20; person++) {
      const [user] = await db
        .insert(users)
        .values({ email: `bench-${person}@example.test`, firstname: "Bench", surname: `${person}`, passwordHash: "not-a-password-hash" })
        .returning({ id: users.id });
      if (!user) throw new Error("no user");
      for (let n = 0; n < 10; n++) {
        tokens.push((await generateToken(db, user.id, { name: `bench ${n}`, scopes: ["read:data"], expiresInDays: 30 })).token);
      }
    }
    const owner = (await db.select({ id: users.id }).from(users).limit(1))[0]?.id ?? "";
    const fill = async (total: number) => {
      const [{ count } = { count: 0 }] = (await db.execute(sql`select count(*)::int as count from api_tokens`)) as unknown as { count: number }[];
      const missing = total - count;
      if (missing <= 0) return;
      // Filler rows shaped like real ones: random hashes, the same index.
      await db.execute(sql`
        insert into api_tokens (user_id, name, token_hash, token_prefix, scopes, expires_at)
        select ${owner}, 'filler ' || g, encode(sha256(convert_to(gen_random_uuid()::text, 'UTF8')), 'hex'), 'mcp_filler00',
               array['read:data'], now() + interval '30 days'
        from generate_series(1, ${missing}) as g`);
      await db.execute(sql`analyze api_tokens`);
    };
    const measure = async () => {
      const header = (i: number) => `Bearer ${tokens[i % tokens.length]}`;
      for (let i = 0; i < 1000; i++) await verifyBearerToken(db, header(i)); // warm-up, and last_used writes
      await settleLastUsedWrites();
      const samples: number[] = [];
      for (let i = 0; i < VERIFY_SAMPLES; i++) {
        const started = performance.now();
        const result = await verifyBearerToken(db, header(i));
        samples.push(performance.now() - started);
        if (!result.ok) throw new Error(`verification failed: ${result.reason}`);
      }
      return { p50_ms: round(percentile(samples, 50), 3), p99_ms: round(percentile(samples, 99), 3) };
    };
    await fill(SMALL_TABLE);
    const small = await measure();
    console.log(`verification with ${SMALL_TABLE} tokens: p50 ${small.p50_ms} ms, p99 ${small.p99_ms} ms`);
    console.log(`filling api_tokens to ${LARGE_TABLE} rows…`);
    await fill(LARGE_TABLE);
    const large = await measure();
    console.log(`verification with ${LARGE_TABLE} tokens: p50 ${large.p50_ms} ms, p99 ${large.p99_ms} ms`);
    return {
      [`rows_${SMALL_TABLE}`]: small,
      [`rows_${LARGE_TABLE}`]: large,
      p50_ratio: round(large.p50_ms / small.p50_ms, 2),
      p99_ratio: round(large.p99_ms / small.p99_ms, 2),
    };
  } finally {
    await handle.close();
    await database.drop();
  }
}

// ── what authentication costs inside the MCP handler ─────────────────────────────────────────────────
async function benchMcpInProcess(): Promise<Figures> {
  const { getDb } = await import("../src/server/db");
  const { handleMcpRequest, serveMcpRequest } = await import("../src/server/mcp/http");
  const db = await getDb();
  const [user] = await db
    .insert(users)
    .values({ email: "inproc@example.test", firstname: "In", surname: "Process", passwordHash: "not-a-password-hash" })
    .returning({ id: users.id });
  if (!user) throw new Error("no user");
  const { token } = await generateToken(db, user.id, { name: "in-process", scopes: ["read:data"], expiresInDays: 30 });
  const verified = await verifyBearerToken(db, `Bearer ${token}`);
  if (!verified.ok) throw new Error("could not verify the bench token");
  const request = () =>
    new Request("http://127.0.0.1:3999/api/mcp", {
      method: "POST",
      headers: mcpHeaders(token),
      body: whoamiBody,
    });
  // Throughput with 8 requests in flight, as a server sees them: waits on the database overlap, so what
  // remains is the CPU that verification costs here and in PostgreSQL (same machine).
  const run = async (call: () => Promise<Response>) => {
    const total = quick ? 1000 : 6000;
    const inFlight = 8;
    for (let i = 0; i < 200; i++) await expectOk(await call());
    const samples: number[] = [];
    let issued = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (issued < total) {
          issued++;
          const t = performance.now();
          await expectOk(await call());
          samples.push(performance.now() - t);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    return { requests_per_s: Math.round(total / seconds), p50_ms: round(percentile(samples, 50), 3), p99_ms: round(percentile(samples, 99), 3) };
  };
  // Interleave the two so that neither gets a warmer machine.
  const withAuth = await run(() => handleMcpRequest(request()));
  const preVerified = await run(() => serveMcpRequest(request(), verified.authInfo));
  const withAuthAgain = await run(() => handleMcpRequest(request()));
  const authRps = Math.round((withAuth.requests_per_s + withAuthAgain.requests_per_s) / 2);
  const share = 1 - authRps / preVerified.requests_per_s;
  console.log(`in-process whoami: ${authRps} req/s with verification, ${preVerified.requests_per_s} req/s pre-verified`);
  return {
    with_verification: { ...withAuth, requests_per_s: authRps },
    pre_verified: preVerified,
    verification_share_of_time: `${round(share * 100, 1)}%`,
    within_10_percent: share <= 0.1,
  };
}

// ── the activity trail: tools/call throughput with it on and off, side by side ──────────────────────
async function benchActivityTrail(): Promise<Figures> {
  const { getDb } = await import("../src/server/db");
  const { handleMcpRequest } = await import("../src/server/mcp/http");
  const { activityRecorder } = await import("../src/server/mcp/activity");
  const db = await getDb();
  const [user] = await db
    .insert(users)
    .values({ email: "trail@example.test", firstname: "Trail", surname: "Bench", passwordHash: "not-a-password-hash" })
    .returning({ id: users.id });
  if (!user) throw new Error("no user");
  const { token } = await generateToken(db, user.id, { name: "trail", scopes: ["read:data"], expiresInDays: 30 });
  const call = () => handleMcpRequest(new Request("http://127.0.0.1:3999/api/mcp", { method: "POST", headers: mcpHeaders(token), body: whoamiBody }));
  const total = 300;
  for (let i = 0; i < 500; i++) await expectOk(await call());
  const run = async () => {
    await activityRecorder.flush();
    let issued = 0;
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (issued < total) {
          issued++;
          await expectOk(await call());
        }
      }),
    );
    // The trail's last rows are written inside the measured run: their cost counts.
    await activityRecorder.flush();
    const rps = total / ((performance.now() - started) / 1000);
    const cpu = process.cpuUsage(cpuBefore);
    return { rps, cpuMicrosPerCall: (cpu.user + cpu.system) / total };
  };
  // Many short runs, alternating off and on, medians compared: on a shared machine the load of other
  // processes drifts during a run, and this keeps the drift from landing on one side. Node's own CPU time
  // per call is reported too, as it is less sensitive to that load than wall-clock throughput.
  const rounds = quick ? 6 : 20;
  const off: { rps: number; cpuMicrosPerCall: number }[] = [];
  const on: { rps: number; cpuMicrosPerCall: number }[] = [];
  for (let round = 0; round < rounds; round++) {
    activityRecorder.enabled = false;
    off.push(await run());
    activityRecorder.enabled = true;
    on.push(await run());
  }
  const median = (values: number[]) => percentile(values, 50);
  const offRps = Math.round(median(off.map((r) => r.rps)));
  const onRps = Math.round(median(on.map((r) => r.rps)));
  const offCpu = round(median(off.map((r) => r.cpuMicrosPerCall)), 0);
  const onCpu = round(median(on.map((r) => r.cpuMicrosPerCall)), 0);
  const [{ rows } = { rows: 0 }] = (await db.execute(sql`select count(*)::int as rows from mcp_activity`)) as unknown as { rows: number }[];
  const change = onRps / offRps - 1;
  console.log(`tools/call whoami in process, 8 in flight: trail off ${offRps} req/s, on ${onRps} req/s (${round(change * 100, 1)}%), ${rows} rows written`);
  return {
    trail_off_requests_per_s: offRps,
    trail_on_requests_per_s: onRps,
    change: `${round(change * 100, 1)}%`,
    within_5_percent: change >= -0.05,
    node_cpu_us_per_call_off: offCpu,
    node_cpu_us_per_call_on: onCpu,
    cpu_change: `${round((onCpu / offCpu - 1) * 100, 1)}%`,
    rows_written: rows,
    runs: `median of ${rounds} alternating runs of ${total} calls each`,
    // Pairs (off/on) with one ratio each: the spread shows how much the machine's load moved under us.
    pair_ratios_on_over_off: on.map((r, i) => round(r.rps / (off[i]?.rps ?? r.rps), 2)).join(" "),
    median_pair_ratio: round(median(on.map((r, i) => r.rps / (off[i]?.rps ?? r.rps))), 3),
  };
}

// ── the activity pages' queries with 1 000 000 calls for one person ─────────────────────────────────────
async function benchActivityPages(): Promise<Figures> {
  const { listActivity, dailyActivity } = await import("../src/server/activity/queries");
  const database = await createScratchDatabase("bench_activity");
  const handle = await openDatabase({ engine: "postgres", url: database.url, maxConnections: 4 });
  try {
    await handle.migrate();
    const { db } = handle;
    const [user] = await db
      .insert(users)
      .values({ email: "busy@example.test", firstname: "Busy", surname: "Person", passwordHash: "not-a-password-hash" })
      .returning({ id: users.id });
    if (!user) throw new Error("no user");
    const tokenIds: string[] = [];
    for (let n = 0; n < 5; n++) tokenIds.push((await generateToken(db, user.id, { name: `busy ${n}`, scopes: ["read:data"], expiresInDays: 365 })).id);
    console.log(`filling mcp_activity with ${LARGE_TABLE} calls for one person…`);
    const started = performance.now();
    // Spread over 90 days (the default retention) and 5 tokens, in time order like the real writer.
    await db.execute(sql`
      insert into mcp_activity (at, user_id, token_id, tool, outcome, duration_ms, client_ip, user_agent, summary)
      select now() - interval '90 days' + (g * interval '90 days' / ${LARGE_TABLE}), ${user.id},
             (${sql.raw(`array[${tokenIds.map((id) => `'${id}'::uuid`).join(",")}]`)})[1 + g % 5],
             (array['whoami','hospitals_search','hospitals_get','bookings_list','bookings_create','tools/list'])[1 + g % 6],
             (case when g % 50 = 0 then 'tool_error' else 'ok' end)::mcp_activity_outcome,
             g % 40, '203.0.113.7', 'claude-code/2.0', 'city paris: 3 found'
      from generate_series(1, ${LARGE_TABLE}) as g`);
    await db.execute(sql`analyze mcp_activity`);
    const fillSeconds = round((performance.now() - started) / 1000, 1);
    const measure = async (work: () => Promise<unknown>, samples = quick ? 50 : 200) => {
      for (let i = 0; i < 10; i++) await work();
      const times: number[] = [];
      for (let i = 0; i < samples; i++) {
        const t = performance.now();
        await work();
        times.push(performance.now() - t);
      }
      return { p50_ms: round(percentile(times, 50), 2), p99_ms: round(percentile(times, 99), 2) };
    };
    const everyToken = { userId: user.id };
    const oneToken = { userId: user.id, tokenIds: [tokenIds[0] ?? ""] };
    const firstPage = await listActivity(db, everyToken);
    const deepCursor = (await listActivity(db, everyToken, { limit: 100 })).nextCursor ?? undefined;
    const figures: Figures = {
      rows: LARGE_TABLE,
      fill_seconds: fillSeconds,
      activity_page_all_tokens: await measure(() => listActivity(db, everyToken)),
      token_page: await measure(() => listActivity(db, oneToken)),
      token_page_next_page: await measure(() => listActivity(db, oneToken, { cursor: deepCursor })),
      filtered_by_outcome_tool_error: await measure(() => listActivity(db, oneToken, { outcome: "tool_error" })),
      filtered_by_tool: await measure(() => listActivity(db, everyToken, { tool: "bookings_create" })),
      chart_30_days_token: await measure(() => dailyActivity(db, oneToken), quick ? 5 : 20),
    };
    if (firstPage.entries.length === 0) throw new Error("the activity page came back empty");
    const page = figures.activity_page_all_tokens as Figures;
    console.log(`activity page with ${LARGE_TABLE} calls: p50 ${String(page.p50_ms)} ms`);
    return figures;
  } finally {
    await handle.close();
    await database.drop();
  }
}

// ── /api/mcp over HTTP against next start ────────────────────────────────────────────────────────────
async function benchMcpHttp(): Promise<Figures> {
  const { startServer } = await import("../src/test/server");
  const { signUpOverHttp } = await import("../src/test/trpc-http");
  const database = await createScratchDatabase("bench_http");
  const server = await startServer({ databaseUrl: database.url, env: UNLIMITED_MCP });
  try {
    const { client } = await signUpOverHttp(server.url);
    const { token } = await client.tokens.generate.mutate({ name: "load", scopes: ["read:data"], expiresInDays: 30 });
    await expectOk(await fetch(`${server.url}/api/mcp`, { method: "POST", headers: mcpHeaders(token), body: whoamiBody }));
    const figures: Figures = {};
    for (const connections of [8, 32]) {
      const result = await autocannon({
        url: `${server.url}/api/mcp`,
        method: "POST",
        headers: mcpHeaders(token),
        body: whoamiBody,
        connections,
        duration: LOAD_SECONDS,
      });
      const errors = result.non2xx + result.errors + result.timeouts;
      figures[`connections_${connections}`] = {
        requests_per_s: Math.round(result.requests.average),
        p50_ms: result.latency.p50,
        p99_ms: result.latency.p99,
        failed_requests: errors,
      };
      console.log(`HTTP whoami, ${connections} connections: ${Math.round(result.requests.average)} req/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, ${errors} failed`);
    }
    return figures;
  } finally {
    await server.stop();
    await database.drop();
  }
}

// ── revocation latency across two server processes ───────────────────────────────────────────────────
async function benchRevocation(): Promise<Figures> {
  const { startServer } = await import("../src/test/server");
  const { signUpOverHttp } = await import("../src/test/trpc-http");
  const database = await createScratchDatabase("bench_revoke");
  const serverA = await startServer({ databaseUrl: database.url, env: UNLIMITED_MCP });
  const serverB = await startServer({ databaseUrl: database.url, env: UNLIMITED_MCP });
  try {
    const { client } = await signUpOverHttp(serverA.url);
    const rounds = quick ? 5 : 20;
    const latencies: number[] = [];
    let refusedOnFirstRequest = 0;
    for (let round = 0; round < rounds; round++) {
      const { token, id } = await client.tokens.generate.mutate({ name: `revoke ${round}`, scopes: ["read:data"], expiresInDays: 7 });
      const call = () => fetch(`${serverB.url}/api/mcp`, { method: "POST", headers: mcpHeaders(token), body: whoamiBody });
      await expectOk(await call());
      await client.tokens.revoke.mutate({ id });
      const revokedAt = performance.now();
      let attempts = 0;
      for (;;) {
        attempts++;
        const response = await call();
        await response.arrayBuffer();
        if (response.status === 401) break;
        if (attempts > 1000) throw new Error("revoked token still accepted after 1000 calls");
      }
      latencies.push(performance.now() - revokedAt);
      if (attempts === 1) refusedOnFirstRequest++;
    }
    console.log(`revocation: refused on the first request after revoke in ${refusedOnFirstRequest}/${rounds} rounds`);
    return {
      rounds,
      refused_on_first_request: `${refusedOnFirstRequest}/${rounds}`,
      p50_ms: round(percentile(latencies, 50), 2),
      max_ms: round(Math.max(...latencies), 2),
    };
  } finally {
    await Promise.all([serverA.stop(), serverB.stop()]);
    await database.drop();
  }
}

// ── helpers ──────────────────────────────────────────────────────────────────────────────────────────

function mcpHeaders(token: string): Record<string, string> {
  return {
    authorization: `Bearer ${token}`,
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
  };
}

async function expectOk(response: Response): Promise<void> {
  const text = await response.text();
  if (response.status !== 200 || text.includes('"isError":true')) throw new Error(`unexpected MCP answer ${response.status}: ${text.slice(0, 200)}`);
}

function createScratchDatabase(label: string): Promise<ScratchDatabase> {
  return createPostgresDatabase(adminUrl, `carestral_${label}_${Date.now().toString(36)}`);
}

async function ensureBuild(): Promise<void> {
  // Measure the code as it is now, unless told to reuse the last build.
  if (process.argv.includes("--no-build") && existsSync(".next-test/BUILD_ID")) return;
  console.log("building the app (npm run build:test)…");
  execFileSync("npm", ["run", "build:test"], { stdio: "inherit" });
}

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

function printTable(figures: Figures, indent = ""): void {
  if (!indent) console.log("\n── Carestral benchmark ──");
  for (const [key, value] of Object.entries(figures)) {
    if (typeof value === "object") {
      console.log(`${indent}${key}`);
      printTable(value, `${indent}  `);
    } else {
      console.log(`${indent}${key.padEnd(28 - indent.length)} ${value}`);
    }
  }
}
