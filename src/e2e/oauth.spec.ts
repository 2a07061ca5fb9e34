import { auth } from "@modelcontextprotocol/sdk/client/auth.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { expect, test, type Browser, type Page } from "./test";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { clientMetadata, InMemoryOAuthProvider } from "~/test/oauth";
import { addVirtualAuthenticator, confirmSignUp, fillSignUpForm, newUser, signIn, signOut, signUp } from "./helpers";
import { firstLink, linkFromMail, mailTo } from "./mail";
import { checkPage } from "./page-check";
import { setUpAuthenticatorApp, signInToSecondStep, verifySecondFactor } from "./two-factor";

// An MCP client signing in through the browser: the SDK's own auth() runs on the test's side, the person answers
// the consent page in Chromium, and the client's loopback redirect URI is a tiny HTTP server of the test's own.
// Then the grant shows under Connected apps, where revoking it cuts the client off.

/** The client's loopback callback: records every request it gets, and can serve a page that frames another. */
class LoopbackCallback {
  private server: Server | undefined;
  private readonly received: URL[] = [];
  private readonly waiters: ((url: URL) => void)[] = [];
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      const url = new URL(request.url ?? "/", `http://127.0.0.1:${this.port}`);
      if (url.pathname === "/frame") {
        // A page on another port of the same site (localhost), trying to frame the URL it is given.
        const src = url.searchParams.get("src") ?? "";
        response.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
        response.end(`<!doctype html><title>Framing page</title><iframe title="framed" src="${src.replaceAll('"', "&quot;")}"></iframe>`);
        return;
      }
      if (url.pathname !== "/callback") {
        // e.g. the browser's /favicon.ico after landing here: not a callback.
        response.writeHead(404, { "Content-Type": "text/plain; charset=utf-8" }).end("not found");
        return;
      }
      response.writeHead(200, { "Content-Type": "text/plain; charset=utf-8" }).end("Back in the app. You may close this window.");
      const waiter = this.waiters.shift();
      if (waiter) waiter(url);
      else this.received.push(url);
    });
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  get redirectUri(): string {
    return `http://127.0.0.1:${this.port}/callback`;
  }

  /** The next request to the callback, within a bounded time. */
  next(timeoutMs = 15_000): Promise<URL> {
    const already = this.received.shift();
    if (already) return Promise.resolve(already);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no request reached the callback within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push((url) => {
        clearTimeout(timer);
        resolve(url);
      });
    });
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => (this.server ? this.server.close(resolve) : resolve(undefined)));
  }
}

const callback = new LoopbackCallback();
let counter = 0;

test.beforeAll(async () => {
  await callback.start();
});

test.afterAll(async () => {
  await callback.stop();
});

function uniqueClientName(): string {
  counter += 1;
  return `E2E Assistant ${Date.now().toString(36)}-${counter}`;
}

/**
 * A new SDK client that has discovered, registered (DCR) and been sent to the authorization URL. `registered`:
 * the client information of an earlier registration to reuse (the same app, signing in again).
 */
async function startSignIn(
  mcpUrl: URL,
  clientName: string,
  { to = callback, registered }: { to?: LoopbackCallback; registered?: InMemoryOAuthProvider["client"] } = {},
): Promise<{ provider: InMemoryOAuthProvider; authorizationUrl: URL }> {
  const provider = new InMemoryOAuthProvider(to.redirectUri, clientMetadata(to.redirectUri, { client_name: clientName }));
  if (registered) provider.saveClientInformation(registered);
  expect(await auth(provider, { serverUrl: mcpUrl })).toBe("REDIRECT");
  const authorizationUrl = provider.authorizationUrl;
  if (!authorizationUrl) throw new Error("auth() gave no authorization URL");
  expect(authorizationUrl.searchParams.get("client_id")).toMatch(/^dcr_/);
  expect(authorizationUrl.searchParams.get("resource")).toBe(mcpUrl.href);
  return { provider, authorizationUrl };
}

/** A person with an account made in another browser: this one has never seen Carestral. */
async function signUpElsewhere(browser: Browser, baseURL: string) {
  const elsewhere = await browser.newContext({ baseURL });
  try {
    return await signUp(await elsewhere.newPage());
  } finally {
    await elsewhere.close();
  }
}

function scopeCheckbox(page: Page, scope: string) {
  // Labelled with what it allows in words, then the scope itself.
  return page.getByRole("checkbox", { name: new RegExp(`(^|\\s)${scope.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`) });
}

function connectedApps(page: Page) {
  return page.getByRole("region", { name: "Connected apps" });
}

function appRow(page: Page, clientName: string) {
  return connectedApps(page).getByRole("row").filter({ has: page.getByRole("rowheader", { name: clientName }) });
}

async function rawMcpCall(mcpUrl: URL, accessToken: string): Promise<Response> {
  return fetch(mcpUrl, {
    method: "POST",
    headers: { Authorization: `Bearer ${accessToken}`, Accept: "application/json, text/event-stream", "Content-Type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    signal: AbortSignal.timeout(15_000),
  });
}

/** Signs the client in through the consent page in the browser, leaving only `granted` checked; returns its tokens. */
async function connectThroughConsent(
  page: Page,
  mcpUrl: URL,
  clientName: string,
  granted: string[],
  options: Parameters<typeof startSignIn>[2] = {},
): Promise<InMemoryOAuthProvider> {
  const { provider, authorizationUrl } = await startSignIn(mcpUrl, clientName, options);
  await page.goto(authorizationUrl.href);
  await expect(page.getByRole("heading", { name: `Authorize ${clientName}`, level: 1 })).toBeVisible();
  for (const scope of ["read:data", "write:bookings"]) await scopeCheckbox(page, scope).setChecked(granted.includes(scope));
  await page.getByRole("button", { name: "Allow", exact: true }).click();
  const code = (await (options.to ?? callback).next()).searchParams.get("code");
  if (!code) throw new Error("the callback got no code");
  expect(await auth(provider, { serverUrl: mcpUrl, authorizationCode: code })).toBe("AUTHORIZED");
  return provider;
}

test("an MCP client signs in through the consent page with fewer scopes, works, and is cut off by Revoke access", async ({ page, baseURL }, testInfo) => {
  const base = baseURL ?? "";
  const mcpUrl = new URL("/api/mcp", base);
  const user = await signUp(page);
  const clientName = uniqueClientName();
  const { provider, authorizationUrl } = await startSignIn(mcpUrl, clientName);

  const consent = await page.goto(authorizationUrl.href);
  expect(consent?.status()).toBe(200);
  await expect(page.getByRole("heading", { name: `Authorize ${clientName}`, level: 1 })).toBeVisible();
  await expect(page.getByText("Unverified: the application chose this name itself.")).toBeVisible();
  await expect(page.getByText(`127.0.0.1:${callback.port}`)).toBeVisible();
  await expect(page.getByText(user.email)).toBeVisible();
  await expect(page.getByRole("checkbox")).toHaveCount(2);
  await expect(scopeCheckbox(page, "read:data")).toBeChecked();
  await expect(scopeCheckbox(page, "write:bookings")).toBeChecked();
  await scopeCheckbox(page, "write:bookings").uncheck();
  await checkPage(page, testInfo, "oauth-consent");
  await page.getByRole("button", { name: "Allow", exact: true }).click();

  const back = await callback.next();
  expect(`${back.origin}${back.pathname}`).toBe(callback.redirectUri);
  expect(back.searchParams.get("iss")).toBe(base);
  expect(back.searchParams.get("error")).toBeNull();
  const code = back.searchParams.get("code");
  expect(code).toBeTruthy();
  await expect(page.getByText("Back in the app.")).toBeVisible();
  // The person is mailed (issue 22): which app, what it may do, when, from where, and where to revoke it.
  const connectedMail = await mailTo(user.email, "An app was connected to your Carestral account");
  expect(connectedMail.text).toContain(`"${clientName}" (its name is unverified) was allowed to use your Carestral account.`);
  expect(connectedMail.text).toContain("It may use: read:data, until you revoke its access.");
  expect(connectedMail.text).toMatch(/From: Chrome on \w+, IP address (127\.0\.0\.1|::1)\./);
  const connectedAppsLink = firstLink(connectedMail);
  expect(connectedAppsLink).toBe(`${base}/dashboard/tokens`);

  expect(await auth(provider, { serverUrl: mcpUrl, authorizationCode: code ?? "" })).toBe("AUTHORIZED");
  const accessToken = provider.savedTokens?.access_token ?? "";
  expect(accessToken).toMatch(/^mcpo_/);
  expect(provider.savedTokens?.scope).toBe("read:data");

  // The client works, with only what the person left checked.
  const client = new Client({ name: "e2e-oauth-client", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider }));
  try {
    const whoami = (await client.callTool({ name: "whoami", arguments: {} })) as CallToolResult;
    expect(whoami.isError).toBeFalsy();
    expect(whoami.structuredContent).toMatchObject({ user: { email: user.email }, token: { name: clientName, scopes: ["read:data"] } });
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual(["bookings_list", "hospitals_get", "hospitals_search", "whoami"]);

    // The dashboard lists the connection, where the mail's link leads.
    await page.goto(connectedAppsLink);
    await expect(page.getByRole("heading", { name: "Connected apps", level: 2 })).toBeVisible();
    const row = appRow(page, clientName);
    await expect(row).toHaveCount(1);
    await expect(row.getByRole("rowheader")).toContainText(`unverified · returns to 127.0.0.1:${callback.port}`);
    await expect(row.getByRole("cell").first()).toHaveText("read:data");

    // The app's page shows what it was granted and what it did.
    await row.getByRole("link", { name: clientName }).click();
    await expect(page.getByRole("heading", { name: clientName, level: 1 })).toBeVisible();
    const activity = page.getByRole("region", { name: "Activity" });
    // Written within a flush interval; Refresh re-reads.
    await expect(async () => {
      await activity.getByRole("button", { name: "Refresh" }).click();
      await expect(activity.getByRole("row").filter({ hasText: "whoami" })).toHaveCount(1, { timeout: 1000 });
    }).toPass({ timeout: 10_000 });
    await checkPage(page, testInfo, "connected-app");
    await page.goto("/dashboard/tokens");

    // Cancel keeps it.
    await row.getByRole("button", { name: "Revoke access" }).click();
    const dialog = page.getByRole("dialog");
    await expect(dialog).toContainText(`Revoke access for “${clientName}”?`);
    await dialog.getByRole("button", { name: "Keep connected" }).click();
    await expect(dialog).toBeHidden();
    await expect(appRow(page, clientName)).toHaveCount(1);
    expect((await rawMcpCall(mcpUrl, accessToken)).status).toBe(200);

    // Confirming revokes, announced like a token's: the row stays, as Revoked, and the client's very next call is refused.
    await appRow(page, clientName).getByRole("button", { name: "Revoke access" }).click();
    await expect(dialog).toBeVisible();
    await dialog.getByRole("button", { name: "Revoke access", exact: true }).click();
    await expect(dialog).toBeHidden();
    await expect(connectedApps(page).getByRole("status")).toContainText(`Access revoked for “\u2068${clientName}\u2069”: its next request is refused.`);
    await expect(appRow(page, clientName)).toHaveCount(1);
    await expect(appRow(page, clientName).getByRole("cell").filter({ hasText: /^Revoked/ })).toBeVisible();
    await expect(appRow(page, clientName).getByRole("button", { name: "Revoke access" })).toHaveCount(0);
    await checkPage(page, testInfo, "connected-apps-revoked");

    const refused = await rawMcpCall(mcpUrl, accessToken);
    expect(refused.status).toBe(401);
    expect(refused.headers.get("www-authenticate")).toContain('error="invalid_token"');
    // Through the SDK too: its refresh token went with the grant, so it cannot quietly get a new access token.
    await expect(client.callTool({ name: "whoami", arguments: {} })).rejects.toThrow();
    await page.reload();
    await expect(appRow(page, clientName).getByRole("cell").filter({ hasText: /^Revoked/ })).toBeVisible();
  } finally {
    await client.close();
  }
});

test("the app page revokes in place, with the same dialog, and says so", async ({ page, baseURL }, testInfo) => {
  const mcpUrl = new URL("/api/mcp", baseURL ?? "");
  await signUp(page);
  const clientName = uniqueClientName();
  const provider = await connectThroughConsent(page, mcpUrl, clientName, ["read:data"]);
  const accessToken = provider.savedTokens?.access_token ?? "";
  await page.goto("/dashboard/tokens");
  await appRow(page, clientName).getByRole("link", { name: clientName }).click();
  await expect(page.getByRole("heading", { name: clientName, level: 1 })).toBeVisible();

  await page.getByRole("button", { name: "Revoke access" }).click();
  const dialog = page.getByRole("dialog");
  await expect(dialog).toContainText(`Revoke access for “${clientName}”?`);
  await expect(dialog.getByRole("button", { name: "Keep connected" })).toBeFocused();
  await dialog.getByRole("button", { name: "Revoke access", exact: true }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByRole("status").filter({ hasText: "Access revoked for" })).toContainText("its next request is refused.");
  await expect(page.getByText(/^Access revoked (?!for)/)).toBeVisible();
  await expect(page.getByRole("button", { name: "Revoke access" })).toHaveCount(0);
  expect((await rawMcpCall(mcpUrl, accessToken)).status).toBe(401);
  await checkPage(page, testInfo, "connected-app-revoked");
  await page.reload();
  await expect(page.getByText(/^Access revoked (?!for)/)).toBeVisible();
});

test("signing in from an authorization link says which app is asking; Forgot password? (its mailed link too) and Create an account keep the way back", async ({ page, browser, baseURL }, testInfo) => {
  const base = baseURL ?? "";
  const user = await signUpElsewhere(browser, base);
  const clientName = uniqueClientName();
  const { provider, authorizationUrl } = await startSignIn(new URL("/api/mcp", base), clientName);
  const context = `to continue to ${clientName} (a name the app chose itself).`;

  await page.goto(authorizationUrl.href);
  await expect(page).toHaveURL(/\/login\?next=/);
  await expect(page.getByText(`Sign in to Carestral ${context}`)).toBeVisible();
  await expect(page.locator("main bdi")).toHaveText(clientName);
  await checkPage(page, testInfo, "login-from-app");

  await page.getByRole("link", { name: "Forgot password?" }).click();
  await expect(page).toHaveURL(/\/forgot-password\?next=%2Foauth%2Fauthorize%3F/);
  await expect(page.getByText(`Choose a new password, then sign in ${context}`)).toBeVisible();
  await checkPage(page, testInfo, "forgot-password-from-app");
  // The mailed reset link keeps the way back too: once the new password is set, Sign in leads to the consent page.
  await page.getByLabel("Email").fill(user.email);
  await page.getByRole("button", { name: "Send reset link" }).click();
  await expect(page.getByRole("status")).toContainText("a link to reset its password is on its way");
  const resetLink = await linkFromMail(user.email, "Reset your Carestral password");
  expect(new URL(resetLink).searchParams.get("next")).toMatch(/^\/oauth\/authorize\?/);
  await page.goto(resetLink);
  const password = `reset-${Date.now()}-password`;
  await page.getByLabel("New password").fill(password);
  await page.getByRole("button", { name: "Set new password" }).click();
  await expect(page.getByRole("status")).toContainText("Your password is changed.");
  await page.getByRole("link", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/login\?next=%2Foauth%2Fauthorize%3F/);

  await page.getByRole("link", { name: "Create an account" }).click();
  await expect(page).toHaveURL(/\/signup\?next=%2Foauth%2Fauthorize%3F/);
  await expect(page.getByText(`Create a Carestral account ${context}`)).toBeVisible();
  await checkPage(page, testInfo, "signup-from-app");
  await page.getByRole("link", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/login\?next=%2Foauth%2Fauthorize%3F/);
  await signIn(page, { email: user.email, password }, /\/oauth\/authorize\?/);
  await expectConsentThenAnswer(page, base, clientName, "Allow", provider);

  // Without an authorization link, sign-in says nothing of the kind, and an off-site next goes nowhere.
  await page.context().clearCookies();
  await page.goto("/login?next=https%3A%2F%2Fevil.example%2Foauth%2Fauthorize");
  await expect(page.getByText("to continue to")).toHaveCount(0);
  await expect(page.getByRole("link", { name: "Forgot password?" })).toHaveAttribute("href", "/forgot-password");
});

test("signed out, with an authenticator app on: the authorization link, the password, the code, then Allow connects the app", async ({ page, browser, baseURL }, testInfo) => {
  const base = baseURL ?? "";
  const user = await signUp(page);
  const { authenticator } = await setUpAuthenticatorApp(page);
  // A browser that has never seen Carestral, as when an app opens the authorization link.
  const fresh = await browser.newContext({ baseURL: base });
  try {
    const freshPage = await fresh.newPage();
    const clientName = uniqueClientName();
    const { provider, authorizationUrl } = await startSignIn(new URL("/api/mcp", base), clientName);
    await freshPage.goto(authorizationUrl.href);
    await expect(freshPage).toHaveURL(/\/login\?next=%2Foauth%2Fauthorize%3F/);
    await signInToSecondStep(freshPage, user);
    await checkPage(freshPage, testInfo, "two-factor-from-app");
    await verifySecondFactor(freshPage, await authenticator.freshCode());
    await expect(freshPage).toHaveURL(/\/oauth\/authorize\?/);
    await expectConsentThenAnswer(freshPage, base, clientName, "Allow", provider);
    expect((await rawMcpCall(new URL("/api/mcp", base), provider.savedTokens?.access_token ?? "")).status).toBe(200);
  } finally {
    await fresh.close();
  }
});

test("signed out, with a passkey as second factor: the authorization link, the password, the passkey, then Allow connects the app", async ({ page, baseURL }, testInfo) => {
  const base = baseURL ?? "";
  await addVirtualAuthenticator(page);
  const user = await signUp(page);
  await page.goto("/settings");
  await page.getByLabel("Passkey name").fill("Laptop");
  await page.getByRole("button", { name: "Add passkey" }).click();
  await expect(page.getByRole("group", { name: "Recovery codes" })).toBeVisible();
  await signOut(page);

  const clientName = uniqueClientName();
  const { provider, authorizationUrl } = await startSignIn(new URL("/api/mcp", base), clientName);
  await page.goto(authorizationUrl.href);
  await expect(page).toHaveURL(/\/login\?next=%2Foauth%2Fauthorize%3F/);
  await signInToSecondStep(page, user);
  await expect(page).toHaveURL(/\/login\/two-factor\?next=%2Foauth%2Fauthorize%3F/);
  await checkPage(page, testInfo, "two-factor-passkey-from-app");
  await page.getByRole("button", { name: "Use a passkey" }).click();
  await expect(page).toHaveURL(/\/oauth\/authorize\?/);
  await expectConsentThenAnswer(page, base, clientName, "Allow", provider);
  expect((await rawMcpCall(new URL("/api/mcp", base), provider.savedTokens?.access_token ?? "")).status).toBe(200);
});

test("one app signing in again from another loopback port is one connection, and Revoke access ends both sets of tokens", async ({ page, baseURL }) => {
  const mcpUrl = new URL("/api/mcp", baseURL ?? "");
  await signUp(page);
  const clientName = uniqueClientName();
  const first = await connectThroughConsent(page, mcpUrl, clientName, ["read:data", "write:bookings"]);
  // The same registration, its callback on another port this time (a CLI picks a free port on every sign-in).
  const otherPort = new LoopbackCallback();
  await otherPort.start();
  try {
    const second = await connectThroughConsent(page, mcpUrl, clientName, ["read:data"], { to: otherPort, registered: first.client });
    expect(second.client?.client_id).toBe(first.client?.client_id);
    const tokens = [first.savedTokens?.access_token ?? "", second.savedTokens?.access_token ?? ""];
    for (const token of tokens) expect((await rawMcpCall(mcpUrl, token)).status).toBe(200);

    await page.goto("/dashboard/tokens");
    await expect(appRow(page, clientName)).toHaveCount(1);
    // As the latest consent left it: where it returns now, and the one scope kept.
    await expect(appRow(page, clientName).getByRole("rowheader")).toContainText(`returns to 127.0.0.1:${otherPort.port}`);
    await expect(appRow(page, clientName).getByRole("cell").first()).toHaveText("read:data");

    await appRow(page, clientName).getByRole("button", { name: "Revoke access" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Revoke access", exact: true }).click();
    await expect(page.getByRole("dialog")).toBeHidden();
    for (const token of tokens) expect((await rawMcpCall(mcpUrl, token)).status).toBe(401);
    for (const provider of [first, second]) {
      const refreshed = await fetch(new URL("/oauth/token", baseURL ?? ""), {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: provider.savedTokens?.refresh_token ?? "", client_id: provider.client?.client_id ?? "" }),
      });
      expect(refreshed.status).toBe(400);
    }
  } finally {
    await otherPort.stop();
  }
});

test("the consent page: Carestral's header, permissions in words, how long access lasts, and Not you? back to the same request", async ({ page, browser, baseURL }, testInfo) => {
  const base = baseURL ?? "";
  const other = await signUpElsewhere(browser, base);
  const user = await signUp(page);
  const clientName = uniqueClientName();
  const { provider, authorizationUrl } = await startSignIn(new URL("/api/mcp", base), clientName);

  await page.goto(authorizationUrl.href);
  const header = page.getByRole("banner");
  await expect(header.getByRole("link", { name: "Carestral" })).toBeVisible();
  await expect(header).toContainText(user.email);
  await expect(page.getByRole("checkbox", { name: "Read hospitals and your own bookings read:data" })).toBeChecked();
  await expect(page.getByRole("checkbox", { name: "Create and cancel your own bookings write:bookings" })).toBeChecked();
  await expect(page.getByText("Access lasts until you revoke it")).toContainText("30 days without use");
  await expect(page.locator("h1 bdi")).toHaveText(clientName);
  await checkPage(page, testInfo, "oauth-consent-header");

  // Not you? Signs out and asks for a sign-in that comes back to this very request.
  await header.getByRole("button", { name: "Switch account" }).click();
  await expect(page).toHaveURL(/\/login\?next=%2Foauth%2Fauthorize%3F/);
  await signIn(page, other, /\/oauth\/authorize\?/);
  await expect(page.getByRole("heading", { name: `Authorize ${clientName}`, level: 1 })).toBeVisible();
  await expect(page.getByRole("banner")).toContainText(other.email);
  await expectConsentThenAnswer(page, base, clientName, "Allow", provider);
  const whoami = await rawMcpCall(new URL("/api/mcp", base), provider.savedTokens?.access_token ?? "");
  expect(whoami.status).toBe(200);
});

test("mcp-remote's self-declared name is explained on the consent page and in Connected apps, still unverified", async ({ page, baseURL }, testInfo) => {
  const mcpUrl = new URL("/api/mcp", baseURL ?? "");
  await signUp(page);
  const clientName = "MCP CLI Proxy";
  const { provider, authorizationUrl } = await startSignIn(mcpUrl, clientName);
  await page.goto(authorizationUrl.href);
  await expect(page.getByRole("heading", { name: `Authorize ${clientName}`, level: 1 })).toBeVisible();
  await expect(page.getByText("That is the name mcp-remote (used by Claude Desktop) gives itself.")).toBeVisible();
  await expect(page.getByText("Unverified: the application chose this name itself.")).toBeVisible();
  await expectConsentThenAnswer(page, baseURL ?? "", clientName, "Allow", provider);

  await page.goto("/dashboard/tokens");
  const row = appRow(page, clientName);
  await expect(row.getByRole("rowheader")).toContainText(`mcp-remote (used by Claude Desktop) · unverified · returns to 127.0.0.1:${callback.port}`);
  await expect(row.locator("bdi")).toHaveText(clientName);
  await checkPage(page, testInfo, "connected-apps-mcp-remote");
  await row.getByRole("link", { name: clientName }).click();
  await expect(page.getByRole("heading", { name: clientName, level: 1 })).toBeVisible();
  await expect(page.locator("h1 bdi")).toHaveText(clientName);
  await expect(page.getByText("It is the name mcp-remote (used by Claude Desktop) gives itself.")).toBeVisible();
});

test("the Revoke access dialog opens on Keep connected: one Enter keeps the app connected", async ({ page, baseURL }) => {
  const mcpUrl = new URL("/api/mcp", baseURL ?? "");
  await signUp(page);
  const clientName = uniqueClientName();
  const provider = await connectThroughConsent(page, mcpUrl, clientName, ["read:data", "write:bookings"]);
  const accessToken = provider.savedTokens?.access_token ?? "";

  await page.goto("/dashboard/tokens");
  const revokeRequests: string[] = [];
  page.on("request", (request) => {
    if (request.url().includes("connectedApps.revoke")) revokeRequests.push(request.url());
  });
  await appRow(page, clientName).getByRole("button", { name: "Revoke access" }).click();
  const dialog = page.getByRole("dialog");
  await expect(dialog).toContainText(`Revoke access for “${clientName}”?`);
  await expect.soft(dialog.getByRole("button", { name: "Keep connected" })).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(dialog).toBeHidden();
  await page.waitForLoadState("networkidle");
  expect(revokeRequests, "one Enter sent a revoke request").toEqual([]);
  await expect(appRow(page, clientName)).toHaveCount(1);
  expect((await rawMcpCall(mcpUrl, accessToken)).status).toBe(200);
  await page.reload();
  await expect(appRow(page, clientName)).toHaveCount(1);
});

test("Deny sends the client back with error=access_denied and iss, and no code", async ({ page, baseURL }) => {
  const base = baseURL ?? "";
  await signUp(page);
  const clientName = uniqueClientName();
  const { authorizationUrl } = await startSignIn(new URL("/api/mcp", base), clientName);

  await page.goto(authorizationUrl.href);
  await expect(page.getByRole("heading", { name: `Authorize ${clientName}`, level: 1 })).toBeVisible();
  await page.getByRole("button", { name: "Deny", exact: true }).click();

  const back = await callback.next();
  expect(`${back.origin}${back.pathname}`).toBe(callback.redirectUri);
  expect(back.searchParams.get("error")).toBe("access_denied");
  expect(back.searchParams.get("iss")).toBe(base);
  expect(back.searchParams.get("code")).toBeNull();

  await page.goto("/dashboard/tokens");
  await expect(page.getByRole("heading", { name: "Connected apps", level: 2 })).toBeVisible();
  await expect(appRow(page, clientName)).toHaveCount(0);
});

test("the consent page cannot be framed, not even by a page of the same site", async ({ page, baseURL }) => {
  await signUp(page);
  const clientName = uniqueClientName();
  const { authorizationUrl } = await startSignIn(new URL("/api/mcp", baseURL ?? ""), clientName);

  const response = await page.request.get(authorizationUrl.href, { maxRedirects: 0 });
  expect(response.status()).toBe(200);
  expect(await response.text()).toContain(`Authorize <bdi>${clientName}</bdi>`);
  const headers = response.headers();
  expect(headers["x-frame-options"]).toBe("DENY");
  expect(headers["content-security-policy"]).toMatch(/frame-ancestors 'none'/);

  // localhost on another port is the same site, so the session cookie would go along: the headers alone stop it.
  const refusals: string[] = [];
  page.on("console", (message) => {
    if (/frame/i.test(message.text())) refusals.push(message.text());
  });
  const framedResponse = page.waitForResponse((candidate) => candidate.url() === authorizationUrl.href);
  await page.goto(`http://localhost:${callback.port}/frame?src=${encodeURIComponent(authorizationUrl.href)}`);
  expect((await framedResponse).status()).toBe(200);
  await expect.poll(() => refusals.join("\n")).toMatch(/frame-ancestors 'none'|X-Frame-Options/);
  const frame = page.frameLocator("iframe");
  await expect(frame.getByRole("heading", { name: `Authorize ${clientName}` })).toHaveCount(0);
  await expect(frame.getByRole("button", { name: "Allow" })).toHaveCount(0);
});


// Where most people start: the AI client opens the authorization link in a browser that is not signed in to
// Carestral. Sign-in (or sign-up) then moves on to the consent page inside the app, and the consent form must
// still reach the client's redirect URI, for Allow and for Deny alike.
for (const decision of ["Allow", "Deny"] as const) {
  test(`from a signed-out browser: sign in from the authorization link, then ${decision} reaches the client`, async ({ page, browser, baseURL }) => {
    const base = baseURL ?? "";
    // The person has an account, made in another browser; this one has never seen Carestral.
    const user = await signUpElsewhere(browser, base);
    const clientName = uniqueClientName();
    const { provider, authorizationUrl } = await startSignIn(new URL("/api/mcp", base), clientName);

    await page.goto(authorizationUrl.href);
    await expect(page).toHaveURL(/\/login\?next=/);
    await signIn(page, user, /\/oauth\/authorize\?/);
    await expectConsentThenAnswer(page, base, clientName, decision, provider);
  });

  test(`a brand-new person: Create an account from the authorization link, then ${decision} reaches the client`, async ({ page, baseURL }) => {
    const base = baseURL ?? "";
    const clientName = uniqueClientName();
    const { provider, authorizationUrl } = await startSignIn(new URL("/api/mcp", base), clientName);

    await page.goto(authorizationUrl.href);
    await expect(page).toHaveURL(/\/login\?next=/);
    await page.getByRole("link", { name: "Create an account" }).click();
    await expect(page).toHaveURL(/\/signup\?next=/);
    const person = newUser({ firstname: "Grace", surname: "Hopper" });
    await fillSignUpForm(page, person);
    // The confirmation link carries the authorization request as its `next` (issue 19 item 2).
    await confirmSignUp(page, person.email);
    await expect(page).toHaveURL(/\/oauth\/authorize\?/);
    await expectConsentThenAnswer(page, base, clientName, decision, provider);
  });
}

/** On the consent page: answers it, and checks the client's callback got what that answer means. */
async function expectConsentThenAnswer(page: Page, base: string, clientName: string, decision: "Allow" | "Deny", provider: InMemoryOAuthProvider) {
  const refusals: string[] = [];
  page.on("console", (message) => {
    if (/Content Security Policy/i.test(message.text())) refusals.push(message.text());
  });
  await expect(page.getByRole("heading", { name: `Authorize ${clientName}`, level: 1 })).toBeVisible();
  await page.getByRole("button", { name: decision, exact: true }).click();
  const back = await callback.next().catch((error: unknown) => {
    throw new Error(`${String(error)}; CSP refusals: ${refusals.join(" | ") || "none"}`);
  });
  expect(`${back.origin}${back.pathname}`).toBe(callback.redirectUri);
  expect(back.searchParams.get("iss")).toBe(base);
  await expect(page.getByText("Back in the app.")).toBeVisible();
  if (decision === "Deny") {
    expect(back.searchParams.get("error")).toBe("access_denied");
    expect(back.searchParams.get("code")).toBeNull();
    return;
  }
  const code = back.searchParams.get("code");
  expect(code).toBeTruthy();
  expect(await auth(provider, { serverUrl: new URL("/api/mcp", base), authorizationCode: code ?? "" })).toBe("AUTHORIZED");
  expect(provider.savedTokens?.access_token).toMatch(/^mcpo_/);
}
