// The headline: /api/mcp over HTTP (next start, PostgreSQL, 8 connections) against the peers, the MCP SDK in a
// bare Next.js route with one static tool, no auth and no database (bench/peer), interleaved in one run. The v1
// peer is the 1.x SDK's stateless pattern; the tuned peer also shares one JSON Schema validator across requests,
// as /api/mcp does. The v2 peer is the SDK's v2 line (`createMcpHandler`, which /api/mcp uses), measured in both
// protocol eras: the floor the issue-21 target is set against.
import { openDatabase } from "../../src/server/db/client";
import { issueOAuthTokens } from "../../src/test/oauth-in-process";
import { signUpOverHttp } from "../../src/test/trpc-http";
import {
  createScratchDatabase,
  ensureAppBuild,
  ensurePeerBuild,
  hospitalsSearchBody,
  interleave,
  load,
  mcpHeaders,
  modernMcpHeaders,
  modernWhoamiBody,
  round,
  startBenchServer,
  startPeer,
  whoamiBody,
  type Figures,
} from "./lib";

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
    const v2Peer = `${peer.url}/api/mcp-v2`;

    const results = await interleave({
      peer_whoami: () => load({ url: `${peer.url}/api/mcp`, body: whoamiBody, headers: mcpHeaders(), pid: peer.pid }),
      tuned_peer_whoami: () => load({ url: `${peer.url}/api/mcp-tuned`, body: whoamiBody, headers: mcpHeaders(), pid: peer.pid }),
      v2_peer_whoami_2025: () => load({ url: v2Peer, body: whoamiBody, headers: mcpHeaders(), pid: peer.pid }),
      v2_peer_whoami_2026: () => load({ url: v2Peer, body: modernWhoamiBody, headers: modernMcpHeaders(), pid: peer.pid }),
      whoami: () => load({ url: mcp, body: whoamiBody, headers: mcpHeaders(token), pid: ours.pid }),
      whoami_2026: () => load({ url: mcp, body: modernWhoamiBody, headers: modernMcpHeaders(token), pid: ours.pid }),
      whoami_oauth_access_token: () => load({ url: mcp, body: whoamiBody, headers: mcpHeaders(accessToken), pid: ours.pid }),
      hospitals_search: () => load({ url: mcp, body: hospitalsSearchBody, headers: mcpHeaders(token), pid: ours.pid }),
    });
    const throughput = (name: string) => results[name]?.requests_per_s ?? Number.NaN;
    const cpu = (name: string) => results[name]?.cpu_us_per_request ?? Number.NaN;
    // Our throughput over the floor's: above 1 is faster than the floor.
    const ratio = (ours: string, floor: string) => round(throughput(ours) / throughput(floor), 2);
    console.log(`whoami over HTTP, 2025 era: ${ratio("whoami", "v2_peer_whoami_2025")}× the v2 peer (${throughput("whoami")} vs ${throughput("v2_peer_whoami_2025")} req/s)`);
    console.log(`whoami over HTTP, 2026-07-28: ${ratio("whoami_2026", "v2_peer_whoami_2026")}× the v2 peer (${throughput("whoami_2026")} vs ${throughput("v2_peer_whoami_2026")} req/s)`);
    return {
      whoami_2025_ratio_to_v2_peer: ratio("whoami", "v2_peer_whoami_2025"),
      whoami_2026_ratio_to_v2_peer: ratio("whoami_2026", "v2_peer_whoami_2026"),
      whoami_ratio_to_peer: ratio("whoami", "peer_whoami"),
      whoami_ratio_to_tuned_peer: ratio("whoami", "tuned_peer_whoami"),
      v2_peer_2025_ratio_to_peer: ratio("v2_peer_whoami_2025", "peer_whoami"),
      // CPU of the server process only: PostgreSQL's share of ours is in the throughput, not here.
      whoami_server_cpu_per_request_ratio_to_v2_peer_2025: round(cpu("whoami") / cpu("v2_peer_whoami_2025"), 2),
      whoami_2026_server_cpu_per_request_ratio_to_v2_peer_2026: round(cpu("whoami_2026") / cpu("v2_peer_whoami_2026"), 2),
      whoami_oauth_ratio_to_v2_peer_2025: ratio("whoami_oauth_access_token", "v2_peer_whoami_2025"),
      hospitals_search_ratio_to_v2_peer_2025: ratio("hospitals_search", "v2_peer_whoami_2025"),
      ...results,
    };
  } finally {
    await handle.close();
    await Promise.all([ours.stop(), peer.stop()]);
    await database.drop();
  }
}
