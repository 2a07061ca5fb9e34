// The headline: /api/mcp over HTTP (next start, PostgreSQL, 8 connections) against the peer, the MCP SDK in a
// bare Next.js route with one static tool, no auth and no database (bench/peer), interleaved in one run. The
// tuned peer also shares one JSON Schema validator across requests, as /api/mcp does: a stricter floor.
import { openDatabase } from "../../src/server/db/client";
import { issueOAuthTokens } from "../../src/test/oauth-in-process";
import { signUpOverHttp } from "../../src/test/trpc-http";
import { createScratchDatabase, ensureAppBuild, ensurePeerBuild, hospitalsSearchBody, interleave, load, mcpHeaders, round, startPeer, whoamiBody, type Figures, startBenchServer } from "./lib";

export async function benchMcpHttp(): Promise<Figures> {
  ensureAppBuild();
  ensurePeerBuild();
  const database = await createScratchDatabase("bench_http");
  const ours = await startBenchServer({ databaseUrl: database.url });
  const peer = await startPeer();
  const handle = await openDatabase({ engine: "postgres", url: database.url, maxConnections: 1 });
  try {
    const person = await signUpOverHttp(ours.url);
    const { token } = await person.client.tokens.generate.mutate({ name: "load", scopes: ["read:data"], expiresInDays: 30 });
    const { accessToken } = await issueOAuthTokens(handle.db, person.user.id, ["read:data"], ours.url);
    const mcp = `${ours.url}/api/mcp`;

    const results = await interleave({
      peer_whoami: () => load({ url: `${peer.url}/api/mcp`, body: whoamiBody, headers: mcpHeaders(), pid: peer.pid }),
      tuned_peer_whoami: () => load({ url: `${peer.url}/api/mcp-tuned`, body: whoamiBody, headers: mcpHeaders(), pid: peer.pid }),
      whoami: () => load({ url: mcp, body: whoamiBody, headers: mcpHeaders(token), pid: ours.pid }),
      whoami_oauth_access_token: () => load({ url: mcp, body: whoamiBody, headers: mcpHeaders(accessToken), pid: ours.pid }),
      hospitals_search: () => load({ url: mcp, body: hospitalsSearchBody, headers: mcpHeaders(token), pid: ours.pid }),
    });
    const ratio = (name: string) => round((results[name]?.requests_per_s ?? 0) / (results.peer_whoami?.requests_per_s ?? Number.NaN), 2);
    console.log(`whoami over HTTP: ${ratio("whoami")}× the peer (${results.whoami?.requests_per_s} vs ${results.peer_whoami?.requests_per_s} req/s)`);
    // CPU of the server process only: PostgreSQL's share of ours is in the throughput, not here.
    const cpuRatio = round((results.whoami?.cpu_us_per_request ?? 0) / (results.peer_whoami?.cpu_us_per_request ?? Number.NaN), 2);
    return {
      whoami_ratio_to_peer: ratio("whoami"),
      whoami_ratio_to_tuned_peer: round((results.whoami?.requests_per_s ?? 0) / (results.tuned_peer_whoami?.requests_per_s ?? Number.NaN), 2),
      whoami_server_cpu_per_request_ratio_to_peer: cpuRatio,
      whoami_oauth_ratio_to_peer: ratio("whoami_oauth_access_token"),
      hospitals_search_ratio_to_peer: ratio("hospitals_search"),
      ...results,
    };
  } finally {
    await handle.close();
    await Promise.all([ours.stop(), peer.stop()]);
    await database.drop();
  }
}
