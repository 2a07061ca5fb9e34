// Revocation across two server processes: tokens.revoke resolved on A, then the very next call on B, with B idle
// and with B under load (8 connections of another token's whoami).
import type { TestServer } from "../../src/test/server";
import { signUpOverHttp, type SignedUpClient } from "../../src/test/trpc-http";
import { CONNECTIONS, createScratchDatabase, ensureAppBuild, expectOk, mcpHeaders, percentile, quick, round, whoamiBody, type Figures, startBenchServer } from "./lib";

export async function benchRevocation(): Promise<Figures> {
  ensureAppBuild();
  const database = await createScratchDatabase("bench_revoke");
  const serverA = await startBenchServer({ databaseUrl: database.url });
  const serverB = await startBenchServer({ databaseUrl: database.url });
  try {
    const person = await signUpOverHttp(serverA.url, {});
    const idle = await revocationRounds(person, serverB);
    const background = await person.client.tokens.generate.mutate({ name: "background", scopes: ["read:data"], expiresInDays: 7 });
    const stopLoad = loadInBackground(`${serverB.url}/api/mcp`, background.token);
    const underLoad = await revocationRounds(person, serverB);
    const served = await stopLoad();
    console.log(`revocation: refused on the very next request in ${idle.refused_on_first_request} rounds idle, ${underLoad.refused_on_first_request} under load`);
    return { idle, under_load: { ...underLoad, background_requests_served: served } };
  } finally {
    await Promise.all([serverA.stop(), serverB.stop()]);
    await database.drop();
  }
}

async function revocationRounds(person: SignedUpClient, serverB: TestServer): Promise<Figures> {
  const rounds = quick ? 5 : 20;
  const latencies: number[] = [];
  let refusedOnFirstRequest = 0;
  for (let n = 0; n < rounds; n++) {
    const { token, id } = await person.client.tokens.generate.mutate({ name: `revoke ${n} ${Date.now()}`, scopes: ["read:data"], expiresInDays: 7 });
    const call = () => fetch(`${serverB.url}/api/mcp`, { method: "POST", headers: mcpHeaders(token), body: whoamiBody });
    await expectOk(await call());
    await person.client.tokens.revoke.mutate({ id });
    const revokedAt = performance.now();
    let attempts = 0;
    for (;;) {
      attempts++;
      const response = await call();
      await response.arrayBuffer();
      if (response.status === 401) break;
      if (attempts > 1000) throw new Error("revoked token still accepted after 1000 calls");
    }
    latencies.push(performance.now() - revokedAt);
    if (attempts === 1) refusedOnFirstRequest++;
  }
  return {
    rounds,
    refused_on_first_request: `${refusedOnFirstRequest}/${rounds}`,
    p50_ms: round(percentile(latencies, 50), 2),
    max_ms: round(Math.max(...latencies), 2),
  };
}

/** Keeps CONNECTIONS whoami calls in flight until the returned function is called; it resolves to how many were served. */
function loadInBackground(url: string, token: string): () => Promise<number> {
  let running = true;
  let served = 0;
  const workers = Array.from({ length: CONNECTIONS }, async () => {
    while (running) {
      const response = await fetch(url, { method: "POST", headers: mcpHeaders(token), body: whoamiBody });
      await response.arrayBuffer();
      if (response.ok) served++;
    }
  });
  return async () => {
    running = false;
    await Promise.all(workers);
    return served;
  };
}
