// `npm run bench`: the figures behind README's Performance section, measured in one run on this machine against a
// local PostgreSQL (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test; the bench creates its own
// databases there and drops them). Prints a table and writes bench-results/latest.json. Not a test: nothing here
// passes or fails, it reports. Each section lives in scripts/bench/<section>.ts; `--only=a,b` runs a subset,
// `--quick` smaller numbers, `--rounds=N` more interleaved rounds, `--no-build` reuses the last builds.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { BENCH_SERVER_ENV, createScratchDatabase, type Figures } from "./bench/lib";

// The app's modules read configuration when first imported: set it before any section loads them.
const scratch = await createScratchDatabase("bench_inproc");
// One token over many connections: lift the per-token MCP limits (servers get BENCH_SERVER_ENV, scripts/bench/lib.ts).
Object.assign(process.env, { DATABASE_URL: scratch.url, APP_URL: "http://127.0.0.1:3999", NODE_ENV: "production", ...BENCH_SERVER_ENV });

const SECTIONS: Record<string, () => Promise<Figures>> = {
  mcp_http: async () => (await import("./bench/mcp-http")).benchMcpHttp(),
  verification: async () => (await import("./bench/verification")).benchVerification(),
  mcp_in_process: async () => (await import("./bench/mcp-in-process")).benchMcpInProcess(),
  oauth_token_endpoint: async () => (await import("./bench/oauth-token-endpoint")).benchOAuthTokenEndpoint(),
  pool_size: async () => (await import("./bench/pool-size")).benchPoolSize(),
  scaling: async () => (await import("./bench/scaling")).benchScaling(),
  pglite: async () => (await import("./bench/pglite")).benchPglite(),
  revocation: async () => (await import("./bench/revocation")).benchRevocation(),
  activity_trail: async () => (await import("./bench/activity")).benchActivityTrail(),
  activity_pages: async () => (await import("./bench/activity")).benchActivityPages(),
  flood: async () => (await import("./bench/flood")).benchFlood(),
  call_limits: async () => (await import("./bench/call-limits")).benchCallLimits(),
  account_export: async () => (await import("./bench/account-export")).benchAccountExport(),
  // Opt-in: minutes of filling (10 million calls). Runs only when --only names it.
  dashboard_scale: async () => (await import("./bench/dashboard-scale")).benchDashboardScale(),
};
const OPT_IN = ["dashboard_scale"];

const only = process.argv.find((arg) => arg.startsWith("--only="))?.slice("--only=".length).split(",");
const unknown = only?.filter((name) => !(name in SECTIONS)) ?? [];
if (unknown.length > 0) throw new Error(`unknown section(s) ${unknown.join(", ")}; known: ${Object.keys(SECTIONS).join(", ")}`);

const results: Figures = { machine: `${process.platform} ${process.arch}, node ${process.version}`, date: new Date().toISOString() };
try {
  for (const [name, run] of Object.entries(SECTIONS)) {
    if (only ? !only.includes(name) : OPT_IN.includes(name)) continue;
    console.log(`\n── ${name}`);
    try {
      results[name] = await run();
    } catch (error) {
      // One broken section must not lose the figures of the others.
      console.error(`${name} failed:`, error);
      results[name] = { failed: error instanceof Error ? error.message : String(error) };
    }
    writeResults();
  }
} finally {
  await scratch.drop();
}

printTable(results);
console.log("\nWritten to bench-results/latest.json");
process.exit(0);

function writeResults(): void {
  mkdirSync("bench-results", { recursive: true });
  writeFileSync(path.join("bench-results", "latest.json"), `${JSON.stringify(results, null, 2)}\n`);
}

function printTable(figures: Figures, indent = ""): void {
  if (!indent) console.log("\n── Carestral benchmark ──");
  for (const [key, value] of Object.entries(figures)) {
    if (typeof value === "object") {
      console.log(`${indent}${key}`);
      printTable(value, `${indent}  `);
    } else {
      console.log(`${indent}${key.padEnd(40 - indent.length)} ${value}`);
    }
  }
}
