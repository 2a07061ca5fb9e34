// The token endpoint under refresh_token grants: 8 clients, each rotating its own refresh token as fast as it can.
import { openDatabase } from "../../src/server/db/client";
import { postForm } from "../../src/test/oauth";
import { issueOAuthTokens } from "../../src/test/oauth-in-process";
import { signUpOverHttp } from "../../src/test/trpc-http";
import { CONNECTIONS, createScratchDatabase, ensureAppBuild, LOAD_SECONDS, percentile, round, type Figures, startBenchServer } from "./lib";

export async function benchOAuthTokenEndpoint(): Promise<Figures> {
  ensureAppBuild();
  const database = await createScratchDatabase("bench_oauth");
  const server = await startBenchServer({ databaseUrl: database.url });
  const handle = await openDatabase({ engine: "postgres", url: database.url, maxConnections: 1 });
  try {
    const person = await signUpOverHttp(server.url);
    // One grant per client: a refresh token is single-use, so each client holds its own chain.
    const chains = [];
    for (let n = 0; n < CONNECTIONS; n++) chains.push(await issueOAuthTokens(handle.db, person.user.id, ["read:data"], server.url));

    const samples: number[] = [];
    let failed = 0;
    const endAt = performance.now() + LOAD_SECONDS * 1000;
    const started = performance.now();
    await Promise.all(
      chains.map(async (chain) => {
        let refreshToken = chain.refreshToken;
        while (performance.now() < endAt) {
          const t = performance.now();
          const response = await postForm(`${server.url}/oauth/token`, { grant_type: "refresh_token", refresh_token: refreshToken, client_id: chain.clientId });
          samples.push(performance.now() - t);
          if (!response.ok) {
            failed++;
            await response.arrayBuffer();
            continue;
          }
          refreshToken = ((await response.json()) as { refresh_token: string }).refresh_token;
        }
      }),
    );
    const rps = Math.round(samples.length / ((performance.now() - started) / 1000));
    console.log(`token endpoint, refresh_token grant, ${CONNECTIONS} clients: ${rps} req/s, ${failed} failed`);
    return { requests_per_s: rps, p50_ms: round(percentile(samples, 50), 2), p99_ms: round(percentile(samples, 99), 2), failed_requests: failed };
  } finally {
    await handle.close();
    await server.stop();
    await database.drop();
  }
}
