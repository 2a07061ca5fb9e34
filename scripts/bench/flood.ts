// One account flooding /api/mcp with the worst requests it can send (issue 10): heavy searches and JSON-RPC
// batches over 24 connections with three tokens, under the production MCP limits. Meanwhile another person
// calls whoami, signs in and revokes a token; their latencies are measured with the flood and, side by side,
// without it. The attacker's answers are counted by status.
import { startServer, type TestServer } from "../../src/test/server";
import { CookieJar, createHttpClient, signUpOverHttp, type SignedUpClient } from "../../src/test/trpc-http";
import { createScratchDatabase, ensureAppBuild, LOAD_SECONDS, mcpHeaders, percentile, quick, round, toolCall, type Figures } from "./lib";

const FLOOD_CONNECTIONS = 24;
/** At least this long per victim round (whoami, sign-in, revoke): 5 calls a second at most. */
const VICTIM_ROUND_MS = 200;
const HEAVY_SEARCH = { query: "a e i o u r s t l n", limit: 100 };

export async function benchFlood(): Promise<Figures> {
  ensureAppBuild();
  const database = await createScratchDatabase("bench_flood");
  // The real MCP limits: they are part of what is measured. Sign-in's own limit is lifted, as the victim signs in
  // again and again from one address.
  const server = await startServer({ databaseUrl: database.url, env: { AUTH_RATE_LIMIT_PER_MINUTE: "100000" } });
  try {
    const attacker = await signUpOverHttp(server.url, {});
    const attackerTokens = await Promise.all(
      [1, 2, 3].map(async (n) => (await attacker.client.tokens.generate.mutate({ name: `flood ${n}`, scopes: ["read:data"], expiresInDays: 7 })).token),
    );
    const victim = await signUpOverHttp(server.url, {});
    const victimToken = (await victim.client.tokens.generate.mutate({ name: "victim", scopes: ["read:data"], expiresInDays: 7 })).token;
    const seconds = quick ? 3 : LOAD_SECONDS * 2;

    const quiet = await victimLatencies(server, victim, victimToken, seconds);
    const stopFlood = flood(server, attackerTokens);
    const flooded = await victimLatencies(server, victim, victimToken, seconds);
    const attackerStatuses = await stopFlood();
    console.log(
      `flood: victim p99 whoami ${String(flooded.whoami_p99_ms)} ms (quiet ${String(quiet.whoami_p99_ms)}), sign-in ${String(flooded.sign_in_p99_ms)} ms, ` +
        `revoke ${String(flooded.revoke_p99_ms)} ms; attacker answers ${JSON.stringify(attackerStatuses)}`,
    );
    return { quiet, flooded, attacker_answers_by_status: attackerStatuses, flood_connections: FLOOD_CONNECTIONS };
  } finally {
    await server.stop();
    await database.drop();
  }
}

/** The attacker's loops, until the returned function is called; it resolves to their answers counted by status. */
function flood(server: TestServer, tokens: string[]): () => Promise<Figures> {
  let running = true;
  const statuses: Record<string, number> = {};
  const batch = `[${Array.from({ length: 100 }, () => toolCall("hospitals_search", HEAVY_SEARCH)).join(",")}]`;
  const loops = Array.from({ length: FLOOD_CONNECTIONS }, async (_, index) => {
    const token = tokens[index % tokens.length] ?? "";
    while (running) {
      const body = index % 4 === 0 ? batch : toolCall("hospitals_search", HEAVY_SEARCH);
      let status = "error";
      try {
        const response = await fetch(`${server.url}/api/mcp`, { method: "POST", headers: mcpHeaders(token), body });
        await response.arrayBuffer();
        status = String(response.status);
      } catch {
        // counted as "error"
      }
      statuses[status] = (statuses[status] ?? 0) + 1;
    }
  });
  return async () => {
    running = false;
    await Promise.all(loops);
    return statuses;
  };
}

/** The victim's whoami, sign-in and revocation, one after another for `seconds`: p50 and p99 of each, and failures. */
async function victimLatencies(server: TestServer, victim: SignedUpClient, token: string, seconds: number): Promise<Figures> {
  const times = { whoami: [] as number[], sign_in: [] as number[], revoke: [] as number[] };
  let failures = 0;
  const timed = async (kind: keyof typeof times, work: () => Promise<void>) => {
    const started = performance.now();
    try {
      await work();
    } catch {
      failures++;
    }
    times[kind].push(performance.now() - started);
  };
  const until = Date.now() + seconds * 1000;
  while (Date.now() < until) {
    // A person's pace, well under MCP_RATE_LIMIT_PER_MINUTE: the victim's own 429s would only blur the figures.
    const pace = new Promise((resolve) => setTimeout(resolve, VICTIM_ROUND_MS));
    await timed("whoami", async () => {
      const response = await fetch(`${server.url}/api/mcp`, { method: "POST", headers: mcpHeaders(token), body: toolCall("whoami") });
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
    });
    await timed("sign_in", async () => {
      await createHttpClient(server.url, new CookieJar()).auth.signIn.mutate({ email: victim.email, password: victim.password });
    });
    const spare = await victim.client.tokens.generate.mutate({ name: `spare ${Date.now()} ${Math.random()}`, scopes: ["read:data"], expiresInDays: 7 });
    await timed("revoke", async () => {
      await victim.client.tokens.revoke.mutate({ id: spare.id });
    });
    await pace;
  }
  const figures: Figures = { rounds: times.whoami.length, failures };
  for (const [kind, samples] of Object.entries(times)) {
    figures[`${kind}_p50_ms`] = round(percentile(samples, 50), 1);
    figures[`${kind}_p99_ms`] = round(percentile(samples, 99), 1);
  }
  return figures;
}
