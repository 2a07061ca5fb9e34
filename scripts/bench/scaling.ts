// 1, 2 and 4 `next start` instances against one PostgreSQL: whoami, 8 connections per instance, all at once.
import type { TestServer } from "../../src/test/server";
import { signUpOverHttp } from "../../src/test/trpc-http";
import { createScratchDatabase, ensureAppBuild, interleave, load, mcpHeaders, quick, whoamiBody, type Figures, type LoadResult, startBenchServer } from "./lib";

const INSTANCES = [1, 2, 4];

export async function benchScaling(): Promise<Figures> {
  ensureAppBuild();
  const database = await createScratchDatabase("bench_scaling");
  const servers: TestServer[] = [];
  try {
    // One at a time: the first applies the migrations.
    for (let n = 0; n < Math.max(...INSTANCES); n++) servers.push(await startBenchServer({ databaseUrl: database.url }));
    const [first] = servers;
    if (!first) throw new Error("no server");
    const person = await signUpOverHttp(first.url);
    const { token } = await person.client.tokens.generate.mutate({ name: "load", scopes: ["read:data"], expiresInDays: 30 });
    const contenders: Record<string, () => Promise<LoadResult>> = {};
    for (const count of INSTANCES) {
      contenders[`instances_${count}`] = async () => {
        const results = await Promise.all(
          servers.slice(0, count).map((server) => load({ url: `${server.url}/api/mcp`, body: whoamiBody, headers: mcpHeaders(token) })),
        );
        return {
          requests_per_s: results.reduce((sum, result) => sum + result.requests_per_s, 0),
          p50_ms: Math.max(...results.map((result) => result.p50_ms)),
          p99_ms: Math.max(...results.map((result) => result.p99_ms)),
          failed_requests: results.reduce((sum, result) => sum + result.failed_requests, 0),
        };
      };
    }
    return await interleave(contenders, quick ? 1 : 3);
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
    await database.drop();
  }
}
