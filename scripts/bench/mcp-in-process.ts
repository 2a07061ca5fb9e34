// The MCP handler in process, 8 requests in flight, beside token verification alone: how much of a call is verification.
import { getDb } from "../../src/server/db";
import { users } from "../../src/server/db/schema";
import { handleMcpRequest } from "../../src/server/mcp/http";
import { mcpResourceUrl } from "../../src/server/oauth/metadata";
import { generateToken, verifyBearerToken } from "../../src/server/tokens/service";
import { expectOk, mcpHeaders, percentile, quick, round, whoamiBody, type Figures } from "./lib";

export async function benchMcpInProcess(): Promise<Figures> {
  const db = await getDb();
  const [user] = await db
    .insert(users)
    .values({ email: "inproc@example.test", firstname: "In", surname: "Process", passwordHash: "not-a-password-hash" })
    .returning({ id: users.id });
  if (!user) throw new Error("no user");
  const { token } = await generateToken(db, user.id, { name: "in-process", scopes: ["read:data"], expiresInDays: 30 });
  const request = () => new Request(mcpResourceUrl(), { method: "POST", headers: mcpHeaders(token), body: whoamiBody });
  const verify = async () => {
    const verified = await verifyBearerToken(db, `Bearer ${token}`, mcpResourceUrl());
    if (!verified.ok) throw new Error("could not verify the bench token");
    return new Response(null, { status: 200 });
  };

  // Interleaved so that neither gets a warmer machine.
  const handler = await run(() => handleMcpRequest(request()));
  const verification = await run(verify);
  const handlerAgain = await run(() => handleMcpRequest(request()));
  const handlerRps = Math.round((handler.requests_per_s + handlerAgain.requests_per_s) / 2);
  console.log(`in-process whoami: ${handlerRps} req/s through the handler; verification alone ${verification.requests_per_s} req/s`);
  return {
    handler: { ...handler, requests_per_s: handlerRps },
    verification_alone: verification,
    // Per call, verification's time over the whole call's (both with 8 in flight).
    verification_share_of_time: `${round((handlerRps / verification.requests_per_s) * 100, 1)}%`,
  };
}

/** Throughput with 8 requests in flight, as a server sees them: waits on the database overlap. */
async function run(call: () => Promise<Response>): Promise<{ requests_per_s: number; p50_ms: number; p99_ms: number }> {
  const total = quick ? 1000 : 6000;
  const inFlight = 8;
  for (let i = 0; i < 200; i++) await expectOk(await call());
  const samples: number[] = [];
  let issued = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (issued < total) {
        issued++;
        const t = performance.now();
        await expectOk(await call());
        samples.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { requests_per_s: Math.round(total / seconds), p50_ms: round(percentile(samples, 50), 3), p99_ms: round(percentile(samples, 99), 3) };
}
