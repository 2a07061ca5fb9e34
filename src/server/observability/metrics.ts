import { createHash, timingSafeEqual } from "node:crypto";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { processSingleton } from "~/server/process-singleton";

/**
 * The instance's Prometheus metrics (served by /api/metrics). Counted per process: Prometheus sums the
 * instances. Label values come from closed sets (known tool names, outcomes, reasons), never from a request's
 * own text, so a client cannot grow the series without bound.
 */
function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    mcpCalls: new Counter({
      name: "carestral_mcp_calls_total",
      help: "Authenticated MCP request messages by tool (or method) and outcome, as the activity trail records them",
      labelNames: ["tool", "outcome"] as const,
      registers,
    }),
    mcpCallSeconds: new Histogram({
      name: "carestral_mcp_call_duration_seconds",
      help: "Time to answer an authenticated MCP request message, by tool (or method)",
      labelNames: ["tool"] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    verificationSeconds: new Histogram({
      name: "carestral_token_verification_duration_seconds",
      help: "Time to verify the bearer token of an MCP request, by result",
      labelNames: ["result"] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    authRefusals: new Counter({
      name: "carestral_mcp_auth_refusals_total",
      help: "MCP requests refused with 401, by reason (missing, malformed, unknown, revoked, expired, ...)",
      labelNames: ["reason"] as const,
      registers,
    }),
    limitRefusals: new Counter({
      name: "carestral_limit_refusals_total",
      help: "Requests refused by a limit (429), by limit",
      labelNames: ["limit"] as const,
      registers,
    }),
    activityBufferRows: new Gauge({
      name: "carestral_activity_buffer_rows",
      help: "Activity trail rows waiting in this instance's buffer to be written",
      registers,
    }),
    dbPoolInUse: new Gauge({
      name: "carestral_db_pool_in_use",
      help: "PostgreSQL connections of this instance running a query or holding a transaction, by pool (main, auth)",
      labelNames: ["pool"] as const,
      registers,
    }),
    dbPoolWaiting: new Gauge({
      name: "carestral_db_pool_waiting",
      help: "Queries of this instance waiting for a PostgreSQL connection (queued, or pipelined behind another query), by pool",
      labelNames: ["pool"] as const,
      registers,
    }),
    dbPoolMax: new Gauge({
      name: "carestral_db_pool_max",
      help: "Connections each PostgreSQL pool of this instance may open (DATABASE_POOL_MAX, DATABASE_AUTH_POOL_MAX), by pool",
      labelNames: ["pool"] as const,
      registers,
    }),
    activityRowsDropped: new Counter({
      name: "carestral_activity_rows_dropped_total",
      help: "Activity trail rows never written: the buffer was full or the database refused or failed their batch",
      registers,
    }),
    oauthTokens: new Counter({
      name: "carestral_oauth_tokens_total",
      help: "OAuth token pairs issued by /oauth/token, by grant (authorization_code: a new sign-in; refresh_token: a refresh)",
      labelNames: ["grant"] as const,
      registers,
    }),
    signIns: new Counter({
      name: "carestral_sign_ins_total",
      help: "Sign-ins by outcome: with a password (ok, wrong_credentials) or a passkey (passkey_ok, passkey_refused); rate-limited ones count under carestral_limit_refusals_total",
      labelNames: ["outcome"] as const,
      registers,
    }),
    mail: new Counter({
      name: "carestral_mail_total",
      help: "Account mail handed to SMTP_URL, by outcome (sent, failed)",
      labelNames: ["outcome"] as const,
      registers,
    }),
    backgroundJobRuns: new Counter({
      name: "carestral_background_job_runs_total",
      help: "Runs of the background jobs (purges, roll-ups, reminder mail), by job and outcome (ok, failed)",
      labelNames: ["job", "outcome"] as const,
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

// One set per process, whatever number of copies of this module Next's bundles hold: a second registry would
// count half the calls.
export function metrics(): Metrics {
  return processSingleton("metrics", createMetrics);
}

/** Whether `authorization` is `Bearer <expected>`, compared in constant time (over digests: lengths may differ). */
export function isMetricsAuthorization(authorization: string | null, expected: string): boolean {
  const presented = /^Bearer (\S+)$/.exec(authorization ?? "")?.[1] ?? "";
  const digest = (value: string) => createHash("sha256").update(value).digest();
  return timingSafeEqual(digest(presented), digest(expected)) && presented.length > 0;
}
