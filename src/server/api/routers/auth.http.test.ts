import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEVICE_COOKIE_NAME, SESSION_COOKIE_NAME } from "~/server/auth/cookie";
import { createEmptyPostgresDatabase, engines, type Engine } from "~/test/db";
import { startServer, type TestServer } from "~/test/server";
import { CookieJar, createHttpClient, signUpOverHttp } from "~/test/trpc-http";

const DUMP_SQL = `
  select 'users' as source, row_to_json(t)::text as row from users t
  union all select 'sessions', row_to_json(t)::text from sessions t
  union all select 'auth_rate_limits', row_to_json(t)::text from auth_rate_limits t`;

interface ServerUnderTest {
  server: TestServer;
  /** Stops the server and returns every row of the auth tables as JSON text. */
  stopAndDump(): Promise<string>;
}

// The test plays the reverse proxy: from 127.0.0.1, its X-Forwarded-For names the client.
const TRUST_LOCAL_PROXY = { TRUSTED_PROXIES: "127.0.0.1" };

async function startServerOn(engine: Engine): Promise<ServerUnderTest> {
  if (engine === "postgres") {
    const database = await createEmptyPostgresDatabase();
    const server = await startServer({ databaseUrl: database.url, env: TRUST_LOCAL_PROXY });
    return {
      server,
      async stopAndDump() {
        const sql = postgres(database.url, { max: 1 });
        try {
          const rows = await sql.unsafe<{ row: string }[]>(DUMP_SQL);
          return rows.map((row) => row.row).join("\n");
        } finally {
          await sql.end();
          await server.stop();
          await database.drop();
        }
      },
    };
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), "carestral-auth-http-"));
  const server = await startServer({ pgliteDir: dir, env: TRUST_LOCAL_PROXY });
  return {
    server,
    async stopAndDump() {
      // PGlite is one process's database: read the folder once the server has let go of it.
      await server.stop();
      const client = await PGlite.create(dir);
      try {
        const { rows } = await client.query<{ row: string }>(DUMP_SQL);
        return rows.map((row) => row.row).join("\n");
      } finally {
        await client.close();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

describe.each(engines)("auth over HTTP on %s", (engine) => {
  let target: ServerUnderTest;
  let url: string;
  let stopped = false;
  /** Every password and session token this suite used: none may be stored or logged. */
  const secrets: string[] = [];

  beforeAll(async () => {
    target = await startServerOn(engine);
    url = target.server.url;
  });
  afterAll(async () => {
    if (!stopped) await target.stopAndDump();
  });

  async function signedUp() {
    const account = await signUpOverHttp(url);
    const token = account.jar.sessionToken();
    if (!token) throw new Error("sign-up set no session cookie");
    secrets.push(account.password, token);
    return { ...account, token };
  }

  function post(procedure: string, init: { origin?: string | null; cookie?: string; body?: unknown; ip?: string }) {
    const headers = new Headers({ "content-type": "application/json" });
    if (init.origin !== null) headers.set("origin", init.origin ?? url);
    if (init.cookie) headers.set("cookie", `${SESSION_COOKIE_NAME}=${init.cookie}`);
    if (init.ip) headers.set("x-forwarded-for", init.ip);
    return fetch(`${url}/api/trpc/${procedure}`, {
      method: "POST",
      headers,
      body: JSON.stringify({ json: init.body ?? null }),
      redirect: "manual",
    });
  }

  it("sets an HttpOnly, SameSite=Lax, Path=/ cookie for 30 days (not Secure on http)", async () => {
    const response = await post("auth.signUp", {
      body: { email: `cookie-${Date.now()}@example.test`, firstname: "Ada", surname: "L", password: "a long enough password" },
    });
    expect(response.status).toBe(200);
    const [setCookie, device, ...others] = response.headers.getSetCookie();
    expect(others).toEqual([]);
    expect(setCookie).toMatch(new RegExp(`^${SESSION_COOKIE_NAME}=[a-z2-7]{32}; HttpOnly; SameSite=Lax; Path=/; Max-Age=(2591999|2592000)$`));
    // The device cookie (issue 22: mail about sign-ins from other browsers): as long-lived as browsers allow.
    expect(device).toMatch(new RegExp(`^${DEVICE_COOKIE_NAME}=[a-z2-7]{32}; HttpOnly; SameSite=Lax; Path=/; Max-Age=34560000$`));
    secrets.push("a long enough password", setCookie?.split(";")[0]?.split("=")[1] ?? "");
  });

  it("refuses a cookie-carrying request from another origin with 403 before the handler runs", async () => {
    const { client, token } = await signedUp();
    for (const origin of ["https://evil.example", null, "null"]) {
      const response = await post("auth.signOut", { cookie: token, origin });
      expect(response.status).toBe(403);
      expect(await response.json()).toEqual({ error: expect.stringMatching(/Origin/) });
      expect(response.headers.getSetCookie()).toEqual([]);
    }
    // The session survived every attempt.
    expect(await client.auth.me.query()).not.toBeNull();
    // Same for a page route (server actions post there).
    const page = await fetch(`${url}/login`, {
      method: "POST",
      headers: { cookie: `${SESSION_COOKIE_NAME}=${token}`, origin: "https://evil.example" },
      redirect: "manual",
    });
    expect(page.status).toBe(403);
  });

  it("refuses sign-up and sign-in posted from another site even without a cookie (login CSRF)", async () => {
    const email = `csrf-${Date.now()}@example.test`;
    const response = await post("auth.signUp", {
      origin: "https://evil.example",
      body: { email, firstname: "Eve", surname: "L", password: "a long enough password" },
    });
    expect(response.status).toBe(403);
    expect(response.headers.getSetCookie()).toEqual([]);
    // Nothing was created: signing in with those credentials fails.
    const client = createHttpClient(url);
    await expect(client.auth.signIn.mutate({ email, password: "a long enough password" })).rejects.toThrow("Wrong email or password.");
  });

  it("leaves /api/mcp to its own rules", async () => {
    const response = await fetch(`${url}/api/mcp`, { method: "POST", headers: { cookie: `${SESSION_COOKIE_NAME}=whatever` } });
    const body = await response.text();
    expect(body).not.toContain("Cross-origin request refused");
  });

  it("renews the cookie where its session is validated (tRPC), not on pages", async () => {
    const { token } = await signedUp();
    const page = await fetch(`${url}/`, { headers: { cookie: `${SESSION_COOKIE_NAME}=${token}` } });
    expect(page.status).toBe(200);
    expect(page.headers.getSetCookie()).toEqual([]);
    expect(await page.text()).toContain("Go to dashboard");
    const me = await fetch(`${url}/api/trpc/auth.me`, { headers: { cookie: `${SESSION_COOKIE_NAME}=${token}` } });
    expect(me.headers.getSetCookie()).toEqual([
      expect.stringMatching(new RegExp(`^${SESSION_COOKIE_NAME}=${token}; HttpOnly; SameSite=Lax; Path=/; Max-Age=259\\d{4}$`)),
    ]);
  });

  it("sends a signed-out visitor of the dashboard to /login, with the way back", async () => {
    const response = await fetch(`${url}/dashboard/tokens?sort=name`, { redirect: "manual" });
    expect([302, 307]).toContain(response.status);
    const location = new URL(response.headers.get("location") ?? "", url);
    expect(location.pathname).toBe("/login");
    expect(location.searchParams.get("next")).toBe("/dashboard/tokens?sort=name");
  });

  it("sends a signed-in visitor of /login or /signup to the dashboard", async () => {
    const { token } = await signedUp();
    for (const page of ["/login", "/signup"]) {
      const response = await fetch(`${url}${page}`, { headers: { cookie: `${SESSION_COOKIE_NAME}=${token}` }, redirect: "manual" });
      expect([302, 303, 307]).toContain(response.status);
      expect(new URL(response.headers.get("location") ?? "", url).pathname).toBe("/dashboard/tokens");
    }
  });

  it("signs out over HTTP: the cookie is cleared and the old token is refused", async () => {
    const { client, jar, token } = await signedUp();
    await client.auth.signOut.mutate();
    expect(jar.sessionToken()).toBeUndefined();
    const stale = new CookieJar();
    stale.set(SESSION_COOKIE_NAME, token);
    expect(await createHttpClient(url, stale).auth.me.query()).toBeNull();
  });

  it("answers the 11th sign-in attempt in a minute with 429 and Retry-After", async () => {
    const ip = "198.51.100.23";
    const body = { email: `nobody-${Date.now()}@example.test`, password: "wrong password guess" };
    for (let attempt = 1; attempt <= 10; attempt++) {
      const response = await post("auth.signIn", { ip, body });
      expect(response.status).toBe(401);
    }
    const limited = await post("auth.signIn", { ip, body });
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    const json = (await limited.json()) as { error: { json: { message: string } } };
    expect(json.error.json.message).toBe(`Too many attempts. Try again in ${retryAfter} second${retryAfter === 1 ? "" : "s"}.`);
  });

  it("stores and logs no password and no session token", async () => {
    const account = await signedUp();
    const jar = new CookieJar();
    const signIn = createHttpClient(url, jar);
    await signIn.auth.signIn.mutate({ email: account.email, password: account.password });
    secrets.push(jar.sessionToken() ?? "missing sign-in token");
    expect(await signIn.auth.me.query()).toMatchObject({ email: account.email });
    await expect(signIn.auth.signIn.mutate({ email: account.email, password: `${account.password}-typo` })).rejects.toThrow();
    secrets.push(`${account.password}-typo`);

    const log = target.server.log();
    const dump = await target.stopAndDump();
    stopped = true;
    expect(dump).toContain(account.email);
    for (const secret of secrets.filter(Boolean)) {
      expect(dump).not.toContain(secret);
      expect(log).not.toContain(secret);
    }
  });
});
