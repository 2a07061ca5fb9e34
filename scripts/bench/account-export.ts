import { readFileSync } from "node:fs";
import { sql } from "drizzle-orm";
import { createSession, generateSessionToken } from "../../src/server/auth/session";
import { openDatabase } from "../../src/server/db/client";
import { users } from "../../src/server/db/schema";
import { generateToken } from "../../src/server/tokens/service";
import { createScratchDatabase, ensureAppBuild, quick, round, startBenchServer, type Figures } from "./lib";

// "Export my data" with a long activity trail (issue 19 item 3): a million calls exported from a production
// server, whose resident memory is sampled throughout. Built in memory, 300,000 rows took a server from 650 MB
// to 3.8 GB over 30 exports; streamed, one export of 1,000,000 should grow it by less than 50 MB.

const CALLS = quick ? 100_000 : 1_000_000;
const MB = 1024 * 1024;

/** The process's resident set size, in bytes (Linux). */
function residentBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return match ? Number(match[1]) * 1024 : Number.NaN;
}

async function seedPerson(url: string, email: string, calls: number): Promise<string> {
  const handle = await openDatabase({ engine: "postgres", url, maxConnections: 2 });
  try {
    const { db } = handle;
    const [user] = await db.insert(users).values({ email, firstname: "Export", surname: "Bench", passwordHash: "not-a-password-hash" }).returning({ id: users.id });
    if (!user) throw new Error("no user");
    const { id: tokenId } = await generateToken(db, user.id, { name: "Busy assistant", scopes: ["read:data"], expiresInDays: 30 });
    // What a real call leaves: an address, a user agent, the client's name; whole milliseconds, as the recorder writes.
    await db.execute(sql`
      insert into mcp_activity (at, user_id, token_id, tool, outcome, duration_ms, client_ip, user_agent, client_name, client_version)
      select date_trunc('milliseconds', now()) - make_interval(secs => (${calls} - g) / 20.0), ${user.id}::uuid, ${tokenId}::uuid,
             'hospitals_search', 'ok', 12, '203.0.113.7', 'Claude-User/1.0 (+https://claude.ai)', 'claude-ai', '0.1.0'
      from generate_series(1, ${calls}) g`);
    // As autovacuum would have by then: without statistics the planner sorts the whole trail for each page.
    await db.execute(sql`analyze mcp_activity`);
    const sessionToken = generateSessionToken();
    await createSession(db, sessionToken, user.id, "bench");
    return sessionToken;
  } finally {
    await handle.close();
  }
}

/** Downloads the export, sampling the server's memory every 50 ms; the body is counted and dropped. */
async function measureExport(serverUrl: string, pid: number, sessionToken: string) {
  const before = residentBytes(pid);
  let peak = before;
  const timeline: number[] = [];
  let ticks = 0;
  const sampler = setInterval(() => {
    const now = residentBytes(pid);
    peak = Math.max(peak, now);
    if (ticks++ % 40 === 0) timeline.push(Math.round(now / MB));
  }, 50);
  const started = performance.now();
  let bytes = 0;
  try {
    const response = await fetch(`${serverUrl}/api/account/export`, { headers: { cookie: `carestral_session=${sessionToken}` } });
    if (response.status !== 200 || !response.body) throw new Error(`export answered ${response.status}: ${await response.text()}`);
    const reader = response.body.getReader();
    for (let next = await reader.read(); !next.done; next = await reader.read()) bytes += next.value.length;
  } finally {
    clearInterval(sampler);
  }
  return { before, peak: Math.max(peak, residentBytes(pid)), bytes, seconds: (performance.now() - started) / 1000, timeline };
}

export async function benchAccountExport(): Promise<Figures> {
  ensureAppBuild();
  const database = await createScratchDatabase("export");
  const server = await startBenchServer({ databaseUrl: database.url });
  try {
    const warmToken = await seedPerson(database.url, "warm-up@example.test", 5_000);
    const sessionToken = await seedPerson(database.url, "long-trail@example.test", CALLS);
    // Load the route and its code paths once, so the figure is the export's, not the first request's.
    await measureExport(server.url, server.pid, warmToken);
    const run = await measureExport(server.url, server.pid, sessionToken);
    const growthMb = round((run.peak - run.before) / MB, 1);
    console.log(
      `account export of ${CALLS} calls: ${round(run.bytes / MB, 0)} MB of JSON in ${round(run.seconds, 1)} s; server memory ` +
        `${round(run.before / MB, 0)} MB before, ${round(run.peak / MB, 0)} MB at most: +${growthMb} MB`,
    );
    return {
      calls: CALLS,
      json_mb: round(run.bytes / MB, 0),
      seconds: round(run.seconds, 1),
      calls_per_s: Math.round(CALLS / run.seconds),
      server_rss_before_mb: round(run.before / MB, 0),
      server_rss_peak_mb: round(run.peak / MB, 0),
      server_rss_growth_mb: growthMb,
      server_rss_mb_every_2_s: run.timeline.join(" "),
      growth_under_50_mb: growthMb < 50,
    };
  } catch (error) {
    console.error(server.log().slice(-2000));
    throw error;
  } finally {
    await server.stop();
    await database.drop();
  }
}
