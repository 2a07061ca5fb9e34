import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findPostgresBinDir, createPostgresCluster, type PostgresCluster } from "~/test/postgres-cluster";
import { startServer, type TestServer } from "~/test/server";
import { createHttpClient, CookieJar, signUpOverHttp, type SignedUpClient } from "~/test/trpc-http";
import {
  callTool,
  createToken,
  findBookableHospital,
  futureSlot,
  postMcp,
  readJsonRpc,
  SERVER_ENV,
  toolCall,
  toolResult,
  withPostgres,
} from "./fixtures";

// Issue 6, faults: the database goes away under traffic and comes back; PGlite data outlives the server.

/** How fast a request must be refused once the database is gone: "quickly", not after a client timeout. */
const OUTAGE_ANSWER_MS = 8000;
const RECOVERY_DEADLINE_MS = 30_000;

interface BookingsList {
  bookings: { id: string; status: string; token_name: string | null }[];
}

async function signInOverHttp(baseUrl: string, email: string, password: string): Promise<SignedUpClient["client"]> {
  const client = createHttpClient(baseUrl, new CookieJar());
  await client.auth.signIn.mutate({ email, password });
  return client;
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; elapsed: number }> {
  const started = performance.now();
  const value = await work();
  return { value, elapsed: performance.now() - started };
}

describe.runIf(findPostgresBinDir())("PostgreSQL stops under traffic and comes back", () => {
  let cluster: PostgresCluster;
  let server: TestServer;
  let databaseUrl: string;

  beforeAll(async () => {
    // A server of our own: stopping the machine's shared PostgreSQL would break everyone else's tests.
    cluster = await createPostgresCluster();
    await withPostgres(cluster.url, (sql) => sql`create database carestral_faults`);
    const url = new URL(cluster.url);
    url.pathname = "/carestral_faults";
    databaseUrl = url.toString();
    server = await startServer({ databaseUrl, env: SERVER_ENV });
  });

  afterAll(async () => {
    await server?.stop();
    cluster?.destroy();
  });

  it("answers 503 quickly while it is down, then recovers without a restart and loses nothing", { timeout: 120_000 }, async () => {
    // Data written before the fault.
    const person = await signUpOverHttp(server.url);
    const { token, id: tokenId } = await createToken(person, "before the fault");
    const hospital = await findBookableHospital(server.url, token);
    const { booking } = await toolResult<{ booking: { id: string } }>(server.url, token, "bookings_create", {
      hospital_id: hospital.id,
      specialty: hospital.specialty,
      starts_at: futureSlot(5),
    });

    // Background traffic: whoami every 50 ms, each call bounded, for the whole outage.
    const traffic: { status: number | "no answer"; elapsed: number }[] = [];
    let trafficRunning = true;
    const trafficLoop = (async () => {
      while (trafficRunning) {
        const started = performance.now();
        try {
          const response = await postMcp(server.url, toolCall("whoami"), { token, timeoutMs: OUTAGE_ANSWER_MS + 2000 });
          await response.arrayBuffer();
          traffic.push({ status: response.status, elapsed: performance.now() - started });
        } catch {
          traffic.push({ status: "no answer", elapsed: performance.now() - started });
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 500));

    cluster.stop();
    try {
      // Let the traffic meet the outage for a while before probing it.
      await new Promise((resolve) => setTimeout(resolve, 2000));
      const mcp = await timed(async () => readJsonRpc(await postMcp(server.url, toolCall("whoami"), { token, timeoutMs: 20_000 })));
      expect(mcp.value.status).toBe(503);
      expect(mcp.value.error?.message, "a JSON-RPC error with a message").toMatch(/\w{4,}/);
      expect(mcp.elapsed).toBeLessThan(OUTAGE_ANSWER_MS);

      const toolCallDuringOutage = await timed(async () =>
        readJsonRpc(await postMcp(server.url, toolCall("bookings_list"), { token, timeoutMs: 20_000 })),
      );
      expect(toolCallDuringOutage.value.status).toBe(503);
      expect(toolCallDuringOutage.elapsed).toBeLessThan(OUTAGE_ANSWER_MS);

      const health = await timed(() => fetch(`${server.url}/api/health`, { signal: AbortSignal.timeout(20_000) }));
      expect(health.value.status).toBe(503);
      expect(await health.value.json()).toMatchObject({ database: "down" });
      expect(health.elapsed).toBeLessThan(OUTAGE_ANSWER_MS);

      // The dashboard API says so too, with a message, instead of a 500.
      const dashboard = await timed(() => person.client.tokens.list.query().then(() => null, (error: unknown) => error));
      const error = dashboard.value as { data?: { code?: string; httpStatus?: number }; message?: string } | null;
      expect(error?.data?.code, error?.message).toBe("SERVICE_UNAVAILABLE");
      expect(error?.message).toMatch(/database/i);
      expect(dashboard.elapsed).toBeLessThan(OUTAGE_ANSWER_MS);
    } finally {
      cluster.start();
    }

    // Back without restarting the app: poll until MCP answers 200 again.
    const deadline = Date.now() + RECOVERY_DEADLINE_MS;
    let recovered = false;
    while (!recovered && Date.now() < deadline) {
      const response = await postMcp(server.url, toolCall("whoami"), { token }).catch(() => null);
      recovered = response?.status === 200;
      await response?.arrayBuffer();
      if (!recovered) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    trafficRunning = false;
    await trafficLoop;
    expect(recovered, `MCP did not recover within ${RECOVERY_DEADLINE_MS} ms`).toBe(true);

    // Under traffic, only "worked" or "unavailable", each quickly: never a 500, never a hang.
    const summary = JSON.stringify(traffic.map(({ status, elapsed }) => `${status} ${Math.round(elapsed)}ms`));
    expect(traffic.every(({ status }) => status === 200 || status === 503), summary).toBe(true);
    expect(traffic.map(({ status }) => status), summary).toContain(503);
    expect(Math.max(...traffic.map(({ elapsed }) => elapsed)), summary).toBeLessThan(OUTAGE_ANSWER_MS);

    expect((await fetch(`${server.url}/api/health`)).status).toBe(200);
    // Nothing written before the fault was lost, and every path works again.
    const whoami = await toolResult<{ user: { email: string }; token: { id: string } }>(server.url, token, "whoami");
    expect(whoami).toMatchObject({ user: { email: person.email }, token: { id: tokenId } });
    const listed = await toolResult<BookingsList>(server.url, token, "bookings_list");
    expect(listed.bookings.map((item) => item.id)).toContain(booking.id);
    expect((await person.client.tokens.list.query()).map((item) => item.id)).toContain(tokenId);
    const again = await signInOverHttp(server.url, person.email, person.password);
    expect((await again.auth.me.query())?.email).toBe(person.email);
    const newBooking = await callTool(server.url, token, "bookings_create", { hospital_id: hospital.id, specialty: hospital.specialty, starts_at: futureSlot(6) });
    expect(newBooking.result?.isError, newBooking.result?.content?.[0]?.text).not.toBe(true);
  });
});

describe("PGlite data survives a server restart", () => {
  let pgliteDir: string;
  let server: TestServer | undefined;

  beforeAll(() => {
    pgliteDir = mkdtempSync(path.join(os.tmpdir(), "carestral-restart-"));
  });

  afterAll(async () => {
    await server?.stop();
    rmSync(pgliteDir, { recursive: true, force: true });
  });

  it("keeps the account, the token and the booking across a restart", { timeout: 180_000 }, async () => {
    server = await startServer({ pgliteDir, env: SERVER_ENV });
    const person = await signUpOverHttp(server.url);
    const { token, id: tokenId } = await createToken(person, "survivor");
    const hospital = await findBookableHospital(server.url, token);
    const { booking } = await toolResult<{ booking: { id: string } }>(server.url, token, "bookings_create", {
      hospital_id: hospital.id,
      specialty: hospital.specialty,
      starts_at: futureSlot(7),
    });
    await server.stop();

    server = await startServer({ pgliteDir, env: SERVER_ENV });
    const client = await signInOverHttp(server.url, person.email, person.password);
    expect((await client.auth.me.query())?.email).toBe(person.email);
    expect((await client.tokens.list.query()).find((item) => item.id === tokenId)?.status).toBe("active");
    const whoami = await toolResult<{ token: { id: string } }>(server.url, token, "whoami");
    expect(whoami.token.id).toBe(tokenId);
    const listed = await toolResult<BookingsList>(server.url, token, "bookings_list");
    expect(listed.bookings.find((item) => item.id === booking.id)).toMatchObject({ status: "confirmed", token_name: "survivor" });
  });
});
