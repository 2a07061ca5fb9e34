import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "~/test/server";
import { createHttpClient, CookieJar, signUpOverHttp } from "~/test/trpc-http";
import { isMetricsAuthorization } from "./metrics";

const METRICS_TOKEN = "metrics-token-for-the-test-0123456789";
const WHOAMI = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "whoami", arguments: {} } });
const MCP_HEADERS = { "content-type": "application/json", accept: "application/json, text/event-stream" };

/** The value of one series in Prometheus text format (0 when it has not appeared yet). */
function sample(text: string, series: string): number {
  const line = text.split("\n").find((candidate) => candidate.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

describe("/api/metrics", () => {
  let server: TestServer;
  let dark: TestServer;

  beforeAll(async () => {
    [server, dark] = await Promise.all([startServer({ env: { METRICS_TOKEN } }), startServer()]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([server?.stop(), dark?.stop()]);
  });

  const scrape = async (): Promise<string> => {
    const response = await fetch(`${server.url}/api/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/plain; version=0.0.4");
    return response.text();
  };

  it("is not there without METRICS_TOKEN", async () => {
    expect((await fetch(`${dark.url}/api/metrics`)).status).toBe(404);
    expect((await fetch(`${dark.url}/api/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).status).toBe(404);
  });

  it("refuses a scrape without the token, or with another", async () => {
    for (const authorization of [undefined, "Bearer wrong", `Bearer ${METRICS_TOKEN}x`, `Basic ${METRICS_TOKEN}`, METRICS_TOKEN]) {
      const response = await fetch(`${server.url}/api/metrics`, { headers: authorization ? { authorization } : {} });
      expect(response.status).toBe(401);
      const text = await response.text();
      expect(text).not.toContain("carestral_");
    }
  });

  it("counts an MCP call made here by tool and outcome, with its latency and its token's verification", async () => {
    const person = await signUpOverHttp(server.url);
    const created = await person.client.tokens.generate.mutate({ name: "Counted", scopes: ["read:data"], expiresInDays: 7 });
    const before = await scrape();
    const call = (authorization?: string) =>
      fetch(`${server.url}/api/mcp`, { method: "POST", headers: { ...MCP_HEADERS, ...(authorization ? { authorization } : {}) }, body: WHOAMI });
    expect((await call(`Bearer ${created.token}`)).status).toBe(200);
    expect((await call(`Bearer ${created.token}`)).status).toBe(200);
    expect((await call()).status).toBe(401);

    const after = await scrape();
    const grew = (series: string) => sample(after, series) - sample(before, series);
    expect(grew('carestral_mcp_calls_total{tool="whoami",outcome="ok"}')).toBe(2);
    expect(grew('carestral_mcp_call_duration_seconds_count{tool="whoami"}')).toBe(2);
    expect(grew('carestral_mcp_call_duration_seconds_bucket{le="+Inf",tool="whoami"}')).toBe(2);
    expect(grew('carestral_token_verification_duration_seconds_count{result="ok"}')).toBe(2);
    expect(grew('carestral_mcp_auth_refusals_total{reason="missing"}')).toBe(1);
    expect(after).toContain("# TYPE carestral_activity_buffer_rows gauge");
    expect(after).toContain("# TYPE carestral_activity_rows_dropped_total counter");
    // The process's own figures come along (prom-client's defaults).
    expect(after).toContain("process_cpu_user_seconds_total");
  });

  it("counts sign-ins by outcome", async () => {
    const person = await signUpOverHttp(server.url);
    const before = await scrape();
    const client = createHttpClient(server.url, new CookieJar());
    await expect(client.auth.signIn.mutate({ email: person.email, password: `${person.password}-typo` })).rejects.toThrow();
    await client.auth.signIn.mutate({ email: person.email, password: person.password });
    const after = await scrape();
    expect(sample(after, 'carestral_sign_ins_total{outcome="wrong_credentials"}') - sample(before, 'carestral_sign_ins_total{outcome="wrong_credentials"}')).toBe(1);
    expect(sample(after, 'carestral_sign_ins_total{outcome="ok"}') - sample(before, 'carestral_sign_ins_total{outcome="ok"}')).toBe(1);
  });
});

describe("the metrics token check", () => {
  it("accepts exactly Bearer and the token", () => {
    expect(isMetricsAuthorization(`Bearer ${METRICS_TOKEN}`, METRICS_TOKEN)).toBe(true);
    expect(isMetricsAuthorization(`Bearer ${METRICS_TOKEN.slice(1)}`, METRICS_TOKEN)).toBe(false);
    expect(isMetricsAuthorization("Bearer ", METRICS_TOKEN)).toBe(false);
    expect(isMetricsAuthorization(null, METRICS_TOKEN)).toBe(false);
  });
});
