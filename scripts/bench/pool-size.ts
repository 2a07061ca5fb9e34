// DATABASE_POOL_MAX: throughput of whoami (8 connections) and hospitals_search (32) at several pool sizes.
import type { TestServer } from "../../src/test/server";
import { signUpOverHttp } from "../../src/test/trpc-http";
import { createScratchDatabase, ensureAppBuild, hospitalsSearchBody, interleave, load, mcpHeaders, quick, whoamiBody, type Figures, startBenchServer } from "./lib";

const POOL_SIZES = [2, 5, 10, 20];

export async function benchPoolSize(): Promise<Figures> {
  ensureAppBuild();
  const database = await createScratchDatabase("bench_pool");
  const servers: TestServer[] = [];
  try {
    for (const size of POOL_SIZES) servers.push(await startBenchServer({ databaseUrl: database.url, env: { DATABASE_POOL_MAX: String(size) } }));
    const [first] = servers;
    if (!first) throw new Error("no server");
    const person = await signUpOverHttp(first.url);
    const { token } = await person.client.tokens.generate.mutate({ name: "load", scopes: ["read:data"], expiresInDays: 30 });
    const contenders: Record<string, () => ReturnType<typeof load>> = {};
    POOL_SIZES.forEach((size, index) => {
      const url = `${servers[index]?.url}/api/mcp`;
      contenders[`pool_${size}_whoami_8_connections`] = () => load({ url, body: whoamiBody, headers: mcpHeaders(token) }, 8);
      contenders[`pool_${size}_hospitals_search_32_connections`] = () => load({ url, body: hospitalsSearchBody, headers: mcpHeaders(token) }, 32);
    });
    return await interleave(contenders, quick ? 1 : 2);
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
    await database.drop();
  }
}
