// Shared by the benchmark's sections (scripts/bench/*.ts): settings, load generation, servers, statistics.
// Nothing here imports the app, so scripts/bench.ts can set the app's environment before any section loads.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import autocannon from "autocannon";
import { createPostgresDatabase, type ScratchDatabase } from "../../src/test/postgres-database";
import { freePort, startServer, stopProcess, type StartServerOptions, type TestServer } from "../../src/test/server";

/** Servers under load serve one token over many connections: lift the per-token MCP limits (issue 10's 429s). */
export const BENCH_SERVER_ENV = { MCP_RATE_LIMIT_PER_MINUTE: "100000000", MCP_CONCURRENCY_PER_USER: "10000", OAUTH_TOKEN_RATE_LIMIT_PER_MINUTE: "100000000" };

/** startServer with the limits lifted. */
export function startBenchServer(options: StartServerOptions = {}): Promise<TestServer> {
  return startServer({ ...options, env: { ...BENCH_SERVER_ENV, ...options.env } });
}

export interface Figures {
  [key: string]: number | string | boolean | Figures;
}

export const adminUrl = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
/** `--quick`: smaller numbers, for checking the script itself. */
export const quick = process.argv.includes("--quick");
/** Seconds of each load run, and how many interleaved rounds a comparison takes (its median is reported; `--rounds=N`). */
export const LOAD_SECONDS = quick ? 3 : 6;
export const ROUNDS = Number(process.argv.find((arg) => arg.startsWith("--rounds="))?.slice("--rounds=".length) ?? (quick ? 2 : 4));
/** The reference load: 8 connections. */
export const CONNECTIONS = 8;

export const whoamiBody = toolCall("whoami");
export const hospitalsSearchBody = toolCall("hospitals_search", { city: "paris", specialty: "cardiologie", limit: 5 });

export function toolCall(name: string, args: Record<string, unknown> = {}): string {
  return JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name, arguments: args } });
}

/** The 2026-07-28 revision of the same call: the version, method and tool name in headers that agree with the body's `_meta` envelope. */
export const MODERN_VERSION = "2026-07-28";
export const modernWhoamiBody = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "tools/call",
  params: {
    name: "whoami",
    arguments: {},
    _meta: {
      "io.modelcontextprotocol/protocolVersion": MODERN_VERSION,
      "io.modelcontextprotocol/clientInfo": { name: "carestral-bench", version: "1.0.0" },
      "io.modelcontextprotocol/clientCapabilities": {},
    },
  },
});

export function modernMcpHeaders(token?: string): Record<string, string> {
  return { ...mcpHeaders(token), "mcp-protocol-version": MODERN_VERSION, "mcp-method": "tools/call", "mcp-name": "whoami" };
}

export function mcpHeaders(token?: string): Record<string, string> {
  return {
    ...(token ? { authorization: `Bearer ${token}` } : {}),
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
  };
}

/** One call first, so a wrong setup fails loudly instead of measuring errors. */
export async function expectOk(response: Response): Promise<void> {
  const text = await response.text();
  if (response.status !== 200 || text.includes('"isError":true')) throw new Error(`unexpected MCP answer ${response.status}: ${text.slice(0, 200)}`);
}

export interface LoadTarget {
  url: string;
  body: string;
  headers: Record<string, string>;
  /** The server's process id: the result then includes its CPU time per request. */
  pid?: number;
}

// A type, not an interface, so that it fits Figures' index signature.
export type LoadResult = {
  requests_per_s: number;
  p50_ms: number;
  p99_ms: number;
  failed_requests: number;
  /** CPU time of the server process per request (user + system), when its pid is known. */
  cpu_us_per_request?: number;
};

/** POSTs `target` from `connections` connections for `seconds`. */
export async function load(target: LoadTarget, connections = CONNECTIONS, seconds = LOAD_SECONDS): Promise<LoadResult> {
  await expectOk(await fetch(target.url, { method: "POST", headers: target.headers, body: target.body }));
  const cpuBefore = target.pid ? processCpuSeconds(target.pid) : 0;
  const result = await autocannon({ url: target.url, method: "POST", headers: target.headers, body: target.body, connections, duration: seconds });
  const cpuSeconds = target.pid ? processCpuSeconds(target.pid) - cpuBefore : 0;
  return {
    requests_per_s: Math.round(result.requests.average),
    p50_ms: result.latency.p50,
    p99_ms: result.latency.p99,
    failed_requests: result.non2xx + result.errors + result.timeouts,
    ...(target.pid ? { cpu_us_per_request: Math.round((cpuSeconds * 1e6) / Math.max(1, result.requests.total)) } : {}),
  };
}

/**
 * User + system CPU seconds a process has used (Linux /proc; 0 elsewhere). On a shared machine a server's CPU per
 * request moves much less than its throughput, which depends on what else runs.
 */
function processCpuSeconds(pid: number): number {
  try {
    // Fields after the command name, which is in parentheses: utime and stime are the 12th and 13th (man 5 proc).
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

// sysconf(_SC_CLK_TCK): 100 on Linux (x86-64 and arm64).
const CLOCK_TICKS_PER_SECOND = 100;

/**
 * Runs each contender once per round, in an order that rotates from round to round so that none always gets the
 * warmest or the quietest slot, and reports each one's median round. The machine may be shared: medians of
 * interleaved rounds are what survives the noise.
 */
export async function interleave(contenders: Record<string, () => Promise<LoadResult>>, rounds = ROUNDS): Promise<Record<string, LoadResult & { rounds: string }>> {
  const names = Object.keys(contenders);
  const runs = new Map<string, LoadResult[]>(names.map((name) => [name, []]));
  for (let round = 0; round < rounds; round++) {
    for (let offset = 0; offset < names.length; offset++) {
      const name = names[(round + offset) % names.length] ?? "";
      const result = await contenders[name]?.();
      if (!result) continue;
      runs.get(name)?.push(result);
      console.log(`  round ${round + 1}/${rounds} ${name}: ${result.requests_per_s} req/s, p50 ${result.p50_ms} ms, ${result.failed_requests} failed`);
    }
  }
  return Object.fromEntries(
    names.map((name) => {
      const results = runs.get(name) ?? [];
      const byThroughput = [...results].sort((a, b) => a.requests_per_s - b.requests_per_s);
      const middle = byThroughput[Math.floor((byThroughput.length - 1) / 2)];
      if (!middle) throw new Error(`no runs for ${name}`);
      return [
        name,
        {
          ...middle,
          requests_per_s: Math.round(median(results.map((result) => result.requests_per_s))),
          failed_requests: results.reduce((sum, result) => sum + result.failed_requests, 0),
          ...(middle.cpu_us_per_request === undefined ? {} : { cpu_us_per_request: Math.round(median(results.map((result) => result.cpu_us_per_request ?? 0))) }),
          rounds: results.map((result) => result.requests_per_s).join(" / "),
        },
      ];
    }),
  );
}

export function createScratchDatabase(label: string): Promise<ScratchDatabase> {
  return createPostgresDatabase(adminUrl, `carestral_${label}_${Date.now().toString(36)}`);
}

/** The app's production build (.next-test), rebuilt so the code measured is the code checked out, unless --no-build. */
export function ensureAppBuild(): void {
  if (process.argv.includes("--no-build") && existsSync(".next-test/BUILD_ID")) return;
  console.log("building the app (npm run build:test)…");
  execFileSync("npm", ["run", "build:test"], { stdio: "inherit" });
}

const PEER_DIR = "bench/peer";

/** The peer's production build (bench/peer/.next-peer). */
export function ensurePeerBuild(): void {
  if (process.argv.includes("--no-build") && existsSync(`${PEER_DIR}/.next-peer/BUILD_ID`)) return;
  console.log("building the peer (next build bench/peer)…");
  execFileSync(process.execPath, ["node_modules/next/dist/bin/next", "build", PEER_DIR], {
    stdio: "inherit",
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
  });
}

/** `next start` of the peer: the MCP SDK in bare routes (v1 and v2 lines), one static tool, no auth, no database. */
export async function startPeer(): Promise<TestServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ["node_modules/next/dist/bin/next", "start", PEER_DIR, "-p", String(port), "-H", "127.0.0.1"], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const response = await fetch(`${url}/api/mcp`, { method: "POST", headers: mcpHeaders(), body: whoamiBody });
      await expectOk(response);
      break;
    } catch (error) {
      if (child.exitCode !== null || Date.now() > deadline) {
        await stopProcess(child);
        throw new Error(`the peer did not start: ${String(error)}\n${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  return { url, port, pid: child.pid ?? 0, log: () => output, stop: () => stopProcess(child) };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length / 2;
  return sorted.length % 2 ? (sorted[Math.floor(middle)] ?? Number.NaN) : ((sorted[middle - 1] ?? Number.NaN) + (sorted[middle] ?? Number.NaN)) / 2;
}

export function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

export function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
