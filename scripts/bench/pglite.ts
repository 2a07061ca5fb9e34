// The same app on embedded PGlite (no DATABASE_URL) vs PostgreSQL: whoami over HTTP, 8 connections.
import { startServer } from "../../src/test/server";
import { signUpOverHttp } from "../../src/test/trpc-http";
import { createScratchDatabase, ensureAppBuild, interleave, load, mcpHeaders, round, whoamiBody, type Figures } from "./lib";

export async function benchPglite(): Promise<Figures> {
  ensureAppBuild();
  const database = await createScratchDatabase("bench_pglite");
  const onPostgres = await startServer({ databaseUrl: database.url });
  const onPglite = await startServer();
  try {
    const tokenOn = async (url: string) => {
      const person = await signUpOverHttp(url);
      return (await person.client.tokens.generate.mutate({ name: "load", scopes: ["read:data"], expiresInDays: 30 })).token;
    };
    const [postgresToken, pgliteToken] = [await tokenOn(onPostgres.url), await tokenOn(onPglite.url)];
    const results = await interleave({
      postgres_whoami: () => load({ url: `${onPostgres.url}/api/mcp`, body: whoamiBody, headers: mcpHeaders(postgresToken) }),
      pglite_whoami: () => load({ url: `${onPglite.url}/api/mcp`, body: whoamiBody, headers: mcpHeaders(pgliteToken) }),
    });
    const ratio = round((results.pglite_whoami?.requests_per_s ?? 0) / (results.postgres_whoami?.requests_per_s ?? Number.NaN), 2);
    console.log(`PGlite serves ${ratio}× PostgreSQL's whoami throughput`);
    return { pglite_ratio_to_postgres: ratio, ...results };
  } finally {
    await Promise.all([onPostgres.stop(), onPglite.stop()]);
    await database.drop();
  }
}
