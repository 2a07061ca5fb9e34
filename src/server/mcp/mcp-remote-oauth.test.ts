import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { chromium } from "playwright";
import { beforeAll, describe, expect, it } from "vitest";
import { testDatabaseUrl } from "~/test/env";
import { startTestServer } from "~/test/fixtures";
import { answerConsent } from "~/test/oauth";
import { freePort } from "~/test/server";
import { signUpOverHttp, type SignedUpClient } from "~/test/trpc-http";

// Claude Desktop's usual bridge, `npx mcp-remote <url>`, signing in with OAuth: no header, it discovers us, registers
// (DCR), opens a browser on the consent page and waits on its loopback callback. Here the "browser" is a fake opener
// (BROWSER and the usual openers on PATH) that writes the URL to a file; the test either answers the consent over
// HTTP as the signed-in person and delivers the callback, or hands the URL to a Chromium driven by Playwright,
// signed out, where the person signs in and presses Allow as they would.
// Each run has its own HOME and MCP_REMOTE_CONFIG_DIR, so no OAuth state leaks between runs or from the machine.

const PROXY = path.resolve("node_modules/mcp-remote/dist/proxy.js");
const ALL_TOOLS = ["bookings_cancel", "bookings_create", "bookings_list", "hospitals_get", "hospitals_search", "whoami"];

interface Bridge {
  client: Client;
  transport: StdioClientTransport;
  /** Resolves once initialize has gone through the bridge (after sign-in). */
  connected: Promise<void>;
  callbackPort: number;
  /** The URL mcp-remote asked the "browser" to open, within a bounded time. */
  openedUrl(timeoutMs?: number): Promise<URL>;
  log(): string;
  close(): Promise<void>;
}

/** Starts mcp-remote over stdio with a fresh home, a fake browser and its own callback port, and begins initialize. */
async function startBridge(mcpUrl: string, options: { header?: string; env?: Record<string, string> } = {}): Promise<Bridge> {
  const home = mkdtempSync(path.join(os.tmpdir(), "carestral-mcp-remote-oauth-"));
  const binDir = path.join(home, "bin");
  mkdirSync(binDir);
  const openedFile = path.join(home, "opened-urls.txt");
  // mcp-remote opens the browser with the `open` package (its bundled xdg-open honours $BROWSER when no desktop is
  // detected), then falls back to /usr/bin/xdg-open, gio, x-www-browser and sensible-browser on PATH: catch them all.
  const fakeBrowser = path.join(binDir, "fake-browser");
  writeFileSync(fakeBrowser, `#!/bin/sh\nfor arg in "$@"; do last="$arg"; done\nprintf '%s\\n' "$last" >> '${openedFile}'\nexit 0\n`);
  chmodSync(fakeBrowser, 0o755);
  for (const name of ["xdg-open", "gio", "x-www-browser", "sensible-browser", "www-browser"]) {
    writeFileSync(path.join(binDir, name), `#!/bin/sh\nexec '${fakeBrowser}' "$@"\n`);
    chmodSync(path.join(binDir, name), 0o755);
  }

  const callbackPort = await freePort();
  const args = [PROXY, mcpUrl, String(callbackPort), "--auth-timeout", "60"];
  if (options.header) args.push("--header", options.header);
  const transport = new StdioClientTransport({
    command: process.execPath,
    args,
    env: {
      PATH: `${binDir}:${process.env.PATH ?? ""}`,
      HOME: home,
      MCP_REMOTE_CONFIG_DIR: path.join(home, ".mcp-auth"),
      BROWSER: fakeBrowser,
      ...options.env,
    },
    stderr: "pipe",
  });
  let bridgeLog = "";
  transport.stderr?.on("data", (chunk: Buffer) => (bridgeLog += chunk.toString()));
  const client = new Client({ name: "claude-desktop-stand-in", version: "1.0.0" });
  let exited = false;
  client.onclose = () => (exited = true);
  const connected = client.connect(transport);
  // Observed through `await` later; keep an early rejection from counting as unhandled meanwhile.
  connected.catch(() => undefined);

  return {
    client,
    transport,
    connected,
    callbackPort,
    async openedUrl(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const first = existsSync(openedFile) ? readFileSync(openedFile, "utf8").split("\n").find(Boolean) : undefined;
        if (first) return new URL(first);
        if (exited) throw new Error("mcp-remote exited before opening a browser");
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`mcp-remote opened no browser within ${timeoutMs} ms`);
    },
    log: () => redact(bridgeLog),
    async close() {
      const pid = transport.pid;
      await Promise.race([client.close(), new Promise((resolve) => setTimeout(resolve, 5000))]);
      if (pid !== null) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** No token, code or verifier in a failure message. */
function redact(text: string): string {
  return text
    .replace(/\bmcp[or]?_[0-9A-Za-z]+/g, "mcp_[redacted]")
    .replace(/([?&](?:code|code_challenge|state)=)[^&\s]+/g, "$1[redacted]")
    .replace(/("(?:access_token|refresh_token|code_verifier)"\s*:\s*")[^"]+/g, "$1[redacted]");
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    }),
  ]);
}

describe("mcp-remote signing in with OAuth", () => {
  let person: SignedUpClient;
  let mcpUrl: string;

  const server = startTestServer({ env: { AUTH_RATE_LIMIT_PER_MINUTE: "1000" } });
  beforeAll(async () => {
    mcpUrl = `${server.url}/api/mcp`;
    person = await signUpOverHttp(server.url, { firstname: "Grace", surname: "Hopper" });
  });

  it("with no header: discovers, registers, opens the consent page, takes the callback, then tools work", { timeout: 90_000 }, async () => {
    const bridge = await startBridge(mcpUrl);
    try {
      const opened = await bridge.openedUrl();
      expect(`${opened.origin}${opened.pathname}`).toBe(`${server.url}/oauth/authorize`);
      expect(opened.searchParams.get("client_id")).toMatch(/^dcr_/);
      expect(opened.searchParams.get("response_type")).toBe("code");
      expect(opened.searchParams.get("code_challenge_method")).toBe("S256");
      expect(opened.searchParams.get("resource")).toBe(mcpUrl);
      const redirectUri = new URL(opened.searchParams.get("redirect_uri") ?? "");
      expect(["localhost", "127.0.0.1"]).toContain(redirectUri.hostname);
      expect(redirectUri.port).toBe(String(bridge.callbackPort));

      const callback = await answerConsent(server.url, person.jar, opened);
      expect(callback.searchParams.get("iss")).toBe(server.url);
      expect(callback.searchParams.get("code")).toBeTruthy();
      expect(callback.searchParams.get("state")).toBe(opened.searchParams.get("state"));
      // The browser follows the redirect to mcp-remote's callback server, which listens on 127.0.0.1.
      const delivered = new URL(callback);
      delivered.hostname = "127.0.0.1";
      const landing = await fetch(delivered, { signal: AbortSignal.timeout(15_000) });
      expect(landing.status).toBe(200);
      expect(await landing.text()).toMatch(/Authorization successful/);

      await withTimeout(bridge.connected, 30_000, "initialize through mcp-remote");
      expect(bridge.client.getServerVersion()).toMatchObject({ name: "carestral" });
      const { tools } = await withTimeout(bridge.client.listTools(), 15_000, "tools/list");
      expect(tools.map((tool) => tool.name).sort()).toEqual(ALL_TOOLS);
      const whoami = await withTimeout(bridge.client.callTool({ name: "whoami", arguments: {} }), 15_000, "whoami");
      expect(whoami.structuredContent).toMatchObject({ user: { email: person.email, firstname: "Grace" }, token: { scopes: ["read:data", "write:bookings"] } });

      const apps = await person.client.connectedApps.list.query();
      expect(apps.find((app) => app.redirectHost === `${redirectUri.hostname}:${bridge.callbackPort}`)).toMatchObject({ clientHost: null });
    } catch (error) {
      throw new Error(`${String(error)}\nmcp-remote said:\n${bridge.log()}`);
    } finally {
      await bridge.close();
    }
  });

  // Where most people start: mcp-remote opens the system browser, which is not signed in to Carestral. The fake
  // browser hands the URL to a Chromium that Playwright drives from a fresh profile: the person signs in on the
  // page they land on, presses Allow, and the browser itself delivers the code to mcp-remote's loopback callback.
  it("with no header, from a signed-out browser: sign in, Allow, and mcp-remote lists the tools", { timeout: 120_000 }, async () => {
    const bridge = await startBridge(mcpUrl);
    const browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH || undefined,
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    try {
      const opened = await bridge.openedUrl();
      const page = await (await browser.newContext()).newPage();
      await page.goto(opened.href);
      expect(new URL(page.url()).pathname).toBe("/login");
      await page.getByLabel("Email").fill(person.email);
      await page.getByLabel("Password").fill(person.password);
      await page.getByRole("button", { name: "Sign in", exact: true }).click();
      await page.waitForURL(/\/oauth\/authorize\?/, { timeout: 15_000 });
      await page.getByRole("button", { name: "Allow", exact: true }).click();
      await page.waitForURL((url) => url.port === String(bridge.callbackPort) && url.pathname === "/oauth/callback", { timeout: 15_000 });
      expect(await page.textContent("body")).toMatch(/Authorization successful/);

      await withTimeout(bridge.connected, 30_000, "initialize through mcp-remote");
      const { tools } = await withTimeout(bridge.client.listTools(), 15_000, "tools/list");
      expect(tools.map((tool) => tool.name).sort()).toEqual(ALL_TOOLS);
    } catch (error) {
      throw new Error(`${String(error)}\nmcp-remote said:\n${bridge.log()}`);
    } finally {
      await browser.close();
      await bridge.close();
    }
  });

  it.skipIf(!testDatabaseUrl)(
    "configured with an expired personal token, falls into OAuth and reaches the consent page instead of hanging",
    { timeout: 90_000 },
    async () => {
      const postgres = (await import("postgres")).default;
      const aged = await person.client.tokens.generate.mutate({ name: "Claude Desktop (old)", scopes: ["read:data"], expiresInDays: 30 });
      const sql = postgres(server.databaseUrl, { max: 1 });
      try {
        await sql`update api_tokens set expires_at = now() - interval '1 minute' where id = ${aged.id}`;
      } finally {
        await sql.end();
      }

      // As the token page's Claude Desktop snippet configures it: the header from an environment variable.
      const bridge = await startBridge(mcpUrl, { header: "Authorization:${AUTH_HEADER}", env: { AUTH_HEADER: `Bearer ${aged.token}` } });
      try {
        const opened = await bridge.openedUrl(30_000);
        expect(`${opened.origin}${opened.pathname}`).toBe(`${server.url}/oauth/authorize`);
        expect(opened.searchParams.get("client_id")).toMatch(/^dcr_/);
        expect(opened.searchParams.get("code_challenge_method")).toBe("S256");

        const page = await fetch(opened, { headers: { cookie: person.jar.header() ?? "" }, redirect: "manual", signal: AbortSignal.timeout(15_000) });
        expect(page.status).toBe(200);
        expect(await page.text()).toContain("Authorize ");
      } catch (error) {
        throw new Error(`${String(error)}\nmcp-remote said:\n${bridge.log()}`);
      } finally {
        await bridge.close();
      }
    },
  );
});
