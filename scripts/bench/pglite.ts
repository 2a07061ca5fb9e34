// The same app on embedded PGlite (no DATABASE_URL) vs PostgreSQL: whoami and hospitals_search over HTTP, 8 connections.
import { signUpOverHttp } from "../../src/test/trpc-http";
import { createScratchDatabase, ensureAppBuild, hospitalsSearchBody, interleave, load, mcpHeaders, round, whoamiBody, type Figures, startBenchServer } from "./lib";

export async function benchPglite(): Promise<Figures> {
  ensureAppBuild();
  const database = await createScratchDatabase("bench_pglite");
  const onPostgres = await startBenchServer({ databaseUrl: database.url });
  const onPglite = await startBenchServer();
  try {
    const tokenOn = async (url: string) => {
      const person = await signUpOverHttp(url);
      return (await person.client.tokens.generate.mutate({ name: "load", scopes: ["read:data"], expiresInDays: 30 })).token;
    };
    const [postgresToken, pgliteToken] = [await tokenOn(onPostgres.url), await tokenOn(onPglite.url)];
    const results = await interleave({
      postgres_whoami: () => load({ url: `${onPostgres.url}/api/mcp`, body: whoamiBody, headers: mcpHeaders(postgresToken) }),
      pglite_whoami: () => load({ url: `${onPglite.url}/api/mcp`, body: whoamiBody, headers: mcpHeaders(pgliteToken) }),
      postgres_hospitals_search: () => load({ url: `${onPostgres.url}/api/mcp`, body: hospitalsSearchBody, headers: mcpHeaders(postgresToken) }),
      pglite_hospitals_search: () => load({ url: `${onPglite.url}/api/mcp`, body: hospitalsSearchBody, headers: mcpHeaders(pgliteToken) }),
    });
    const ratio = (call: string) => round((results[`pglite_${call}`]?.requests_per_s ?? 0) / (results[`postgres_${call}`]?.requests_per_s ?? Number.NaN), 2);
    console.log(`PGlite serves ${ratio("whoami")}× PostgreSQL's whoami throughput, ${ratio("hospitals_search")}× its hospitals_search`);
    return { whoami_pglite_ratio_to_postgres: ratio("whoami"), hospitals_search_pglite_ratio_to_postgres: ratio("hospitals_search"), ...results };
  } finally {
    await Promise.all([onPostgres.stop(), onPglite.stop()]);
    await database.drop();
  }
}
