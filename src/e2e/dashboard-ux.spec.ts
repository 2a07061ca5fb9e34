import { auth } from "@modelcontextprotocol/sdk/client/auth.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { expect, test, type Page } from "./test";
import { clientMetadata, InMemoryOAuthProvider } from "~/test/oauth";
import { newTokenValue, openNewTokenForm, signOut, signUp } from "./helpers";
import { checkPage, expectNoSidewaysScroll, isPhone } from "./page-check";

// Issue 11: the dashboard as people use it. Every test runs at 1280×800 and 390×844 (playwright.config.ts);
// checkPage runs axe (zero violations), checks that nothing scrolls sideways and writes a screenshot.

test.use({ permissions: ["clipboard-read", "clipboard-write"] });
// Long journeys with several axe runs and screenshots each, on a shared 2-core machine.
test.describe.configure({ timeout: 120_000 });

function tokenRow(page: Page, name: string) {
  return page.getByRole("row").filter({ has: page.getByRole("rowheader", { name, exact: true }) });
}

async function generateToken(page: Page, name: string, scopes: string[] = ["read:data"]): Promise<string> {
  await openNewTokenForm(page);
  await page.getByLabel("Token name").fill(name);
  for (const scope of ["read:data", "write:bookings"]) {
    await page.getByRole("checkbox", { name: scope, exact: true }).setChecked(scopes.includes(scope));
  }
  await page.getByRole("button", { name: "Generate token" }).click();
  const token = await newTokenValue(page);
  expect(token).toMatch(/^mcp_[0-9A-Za-z]{49}$/);
  return token;
}

async function connectAiClient(baseURL: string, token: string): Promise<Client> {
  const client = new Client({ name: "e2e-assistant", version: "1.0.0" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL("/api/mcp", baseURL), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }),
  );
  return client;
}

test("public pages pass axe and fit the screen", async ({ page }, testInfo) => {
  await page.goto("/");
  await checkPage(page, testInfo, "home");
  await page.goto("/login");
  await checkPage(page, testInfo, "login");
  await page.goto("/signup");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByLabel("Password")).toHaveAttribute("aria-invalid", "true");
  await checkPage(page, testInfo, "signup-errors");
});

test("1. the revoke dialog opens on Keep token; focus comes back, also when the row's button is gone", async ({ page }, testInfo) => {
  await signUp(page);
  await generateToken(page, "Laptop");
  await page.getByRole("button", { name: "Done" }).click();
  await expect(page.getByRole("button", { name: "New token" })).toBeFocused();

  const revoke = tokenRow(page, "Laptop").getByRole("button", { name: "Revoke" });
  await revoke.click();
  const dialog = page.getByRole("dialog");
  await expect(dialog.getByRole("button", { name: "Keep token" })).toBeFocused();
  await checkPage(page, testInfo, "tokens-revoke-dialog");
  // One Enter right after opening keeps the token.
  await page.keyboard.press("Enter");
  await expect(dialog).toBeHidden();
  await expect(tokenRow(page, "Laptop")).toContainText("Active");
  await expect(revoke).toBeFocused();

  await revoke.click();
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();
  await expect(revoke).toBeFocused();

  await revoke.click();
  await dialog.getByRole("button", { name: "Revoke token" }).click();
  await expect(tokenRow(page, "Laptop")).toContainText("Revoked");
  await expect(page.getByRole("heading", { name: "Your tokens" })).toBeFocused();
  await expect(page.getByRole("status").filter({ hasText: "revoked" })).toContainText("Token “Laptop” revoked");
});

test("1. the Regenerate dialog opens on Cancel: one Enter keeps the token, and focus goes back to Regenerate", async ({ page, baseURL }, testInfo) => {
  await signUp(page);
  const token = await generateToken(page, "Desk assistant");
  await page.getByRole("button", { name: "Done" }).click();
  await page.getByRole("link", { name: "Desk assistant" }).click();
  await expect(page.getByRole("heading", { name: "Desk assistant", level: 1 })).toBeVisible();
  const settings = page.getByRole("region", { name: "Settings" });
  const prefix = (await settings.locator("code").textContent()) ?? "";
  expect(token.startsWith(prefix.replace(/…$/, ""))).toBe(true);
  await checkPage(page, testInfo, "token-page");

  const regenerate = page.getByRole("button", { name: "Regenerate", exact: true });
  await regenerate.click();
  const dialog = page.getByRole("dialog", { name: "Regenerate “Desk assistant”?" });
  await expect(dialog.getByRole("button", { name: "Cancel" })).toBeFocused();
  await checkPage(page, testInfo, "token-regenerate-dialog");
  await page.keyboard.press("Enter");
  await expect(dialog).toBeHidden();
  await expect(regenerate).toBeFocused();
  await expect(page.getByRole("group", { name: "New token", exact: true })).toHaveCount(0);
  await expect(settings).toContainText("Active");
  await expect(settings.locator("code")).toHaveText(prefix);

  await regenerate.click();
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();
  await expect(regenerate).toBeFocused();

  // The old secret still works, and the page still shows it after a reload.
  const assistant = await connectAiClient(baseURL ?? "", token);
  await assistant.close();
  await page.reload();
  await expect(settings).toContainText("Active");
  await expect(settings.locator("code")).toHaveText(prefix);
});

test("the token page's failures read like the rest: session ended leads to Sign in again and back", async ({ page, context }, testInfo) => {
  await signUp(page);
  await generateToken(page, "Lapsed");
  await page.getByRole("button", { name: "Done" }).click();
  await page.getByRole("link", { name: "Lapsed" }).click();
  await expect(page.getByRole("heading", { name: "Lapsed", level: 1 })).toBeVisible();
  const path = new URL(page.url()).pathname;

  const other = await context.newPage();
  await other.goto("/dashboard/bookings");
  await signOut(other);
  await other.close();

  await page.getByLabel("Description").fill("Never saved");
  await page.getByRole("button", { name: "Save description" }).click();
  const saveAlert = page.getByRole("alert").filter({ hasText: "Your session has ended" });
  await expect(saveAlert).toContainText("Sign in again to save the description.");
  await expect(saveAlert.getByRole("link", { name: "Sign in again" })).toHaveAttribute("href", `/login?next=${encodeURIComponent(path)}`);
  await checkPage(page, testInfo, "token-page-session-ended");

  await page.getByRole("button", { name: "Regenerate", exact: true }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Regenerate token" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "to regenerate the token" })).toContainText("Your session has ended");

  await page.route("**/api/trpc/**", (route) => route.abort("connectionrefused"));
  await page.getByRole("button", { name: "Save description" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "Could not save" })).toContainText(
    "Could not save the description: Carestral’s server cannot be reached.",
  );
  await page.unroute("**/api/trpc/**");
});

test("the Revoke access dialog of a connected app passes axe and fits the screen", async ({ page, baseURL }, testInfo) => {
  // The client's loopback redirect is answered here, in the browser: only the code in it matters.
  const redirectUri = "http://127.0.0.1:9/callback";
  let callback: URL | undefined;
  await page.route(`${redirectUri}**`, async (route) => {
    callback = new URL(route.request().url());
    await route.fulfill({ contentType: "text/plain", body: "Back in the app." });
  });
  const mcpUrl = new URL("/api/mcp", baseURL ?? "");
  const clientName = `Phone assistant ${Date.now().toString(36)}`;
  await signUp(page);
  const provider = new InMemoryOAuthProvider(redirectUri, clientMetadata(redirectUri, { client_name: clientName }));
  expect(await auth(provider, { serverUrl: mcpUrl })).toBe("REDIRECT");
  await page.goto(provider.authorizationUrl?.href ?? "");
  await page.getByRole("button", { name: "Allow", exact: true }).click();
  await expect(page.getByText("Back in the app.")).toBeVisible();
  expect(await auth(provider, { serverUrl: mcpUrl, authorizationCode: callback?.searchParams.get("code") ?? "" })).toBe("AUTHORIZED");

  await page.goto("/dashboard/tokens");
  const apps = page.getByRole("region", { name: "Connected apps" });
  await apps.getByRole("row").filter({ hasText: clientName }).getByRole("button", { name: "Revoke access" }).click();
  const dialog = page.getByRole("dialog");
  await expect(dialog).toContainText(`Revoke access for “${clientName}”?`);
  await checkPage(page, testInfo, "tokens-connected-app-revoke-dialog");
  await dialog.getByRole("button", { name: "Keep connected" }).click();
  await expect(dialog).toBeHidden();
});

test("3 and 5. the list comes first, filters, counts, and a long name never pushes Revoke away", async ({ page }, testInfo) => {
  await signUp(page);
  await expect(page.getByText("No tokens yet.")).toBeVisible();
  await checkPage(page, testInfo, "tokens-empty");
  await openNewTokenForm(page);
  await checkPage(page, testInfo, "tokens-new-token-form");

  // The longest name allowed (TOKEN_NAME_MAX_LENGTH), with no space to break at.
  const longName = "x".repeat(64);
  await generateToken(page, longName);
  await expectNoSidewaysScroll(page, "new token panel with a 64-character name");
  await page.getByRole("button", { name: "Done" }).click();
  await generateToken(page, "Old laptop");
  await page.getByRole("button", { name: "Done" }).click();
  await tokenRow(page, "Old laptop").getByRole("button", { name: "Revoke" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Revoke token" }).click();
  await expect(tokenRow(page, "Old laptop")).toContainText("Revoked");

  await expect(page.getByText("1 of 50 active tokens used.")).toBeVisible();
  // Lead with the list: at 1280×800 it starts above the fold.
  await page.evaluate(() => window.scrollTo(0, 0));
  const longRow = tokenRow(page, longName);
  const revoke = longRow.getByRole("button", { name: "Revoke" });
  const status = longRow.getByText("Active", { exact: true });
  if (isPhone(testInfo)) {
    // A card per token: the long name wraps inside it, nothing in it sticks out sideways.
    const card = await longRow.evaluate((row) => ({
      scrollWidth: row.scrollWidth,
      clientWidth: row.clientWidth,
      right: row.getBoundingClientRect().right,
      viewport: window.innerWidth,
    }));
    expect(card.scrollWidth, "the card's content width").toBeLessThanOrEqual(card.clientWidth);
    expect(card.right, "the card's right edge").toBeLessThanOrEqual(card.viewport);
    await revoke.scrollIntoViewIfNeeded();
  } else {
    await expect(page.getByRole("heading", { name: "Your tokens" })).toBeInViewport();
    // Before any scrolling, the table's own box included: the name wraps, Status and Revoke stay in view.
    const table = await page.locator(".table-scroll", { has: longRow }).evaluate((box) => ({ scrollWidth: box.scrollWidth, clientWidth: box.clientWidth }));
    expect(table.scrollWidth, "the token table's width").toBeLessThanOrEqual(table.clientWidth);
    await expect(status).toBeInViewport({ ratio: 1 });
  }
  await expect(revoke).toBeInViewport({ ratio: 1 });
  await expect(status).toBeInViewport();
  await checkPage(page, testInfo, "tokens-list");

  await page.getByRole("radio", { name: "Active" }).check();
  await expect(page.getByRole("rowheader")).toHaveText([longName]);
  await page.getByRole("radio", { name: "Revoked or expired" }).check();
  await expect(page.getByRole("rowheader")).toHaveText(["Old laptop"]);
  await page.getByRole("radio", { name: "All" }).check();
  await expect(page.getByRole("rowheader")).toHaveCount(2);

  // The header keeps Sign out on screen.
  await page.evaluate(() => window.scrollTo(0, 0));
  await expect(page.getByRole("banner").getByRole("button", { name: "Sign out" })).toBeInViewport({ ratio: 1 });
});

test("4. forms post, never put the password in the address bar, and the wrong address is explained", async ({ browser, baseURL }, testInfo) => {
  const noScript = await browser.newContext({ javaScriptEnabled: false, baseURL, viewport: testInfo.project.use.viewport });
  const page = await noScript.newPage();
  await page.goto("/signup");
  await expect(page.locator("form")).toHaveAttribute("method", "post");
  await page.getByLabel("Email").fill(`nojs-${Date.now()}@example.test`);
  await page.getByLabel("First name").fill("No");
  await page.getByLabel("Surname").fill("Script");
  await page.getByLabel("Password").fill("a password without js");
  await page.getByRole("button", { name: "Create account" }).click();
  await page.waitForLoadState();
  expect(page.url()).not.toContain("password");
  // Playwright's script switch leaves <noscript> unrendered, so check that the page carries the explanation.
  expect(await page.content()).toContain("Carestral’s forms need JavaScript");
  // axe runs inside the page, so not here; the same page with scripts passes it in the first test.
  await page.screenshot({ path: `test-results/screenshots/${testInfo.project.name}/signup-without-javascript.png`, fullPage: true });
  await noScript.close();

  // Opened at 127.0.0.1 while APP_URL says localhost: the page says so before anyone tries to sign in.
  const other = await browser.newContext({ viewport: testInfo.project.use.viewport });
  const wrong = await other.newPage();
  const url = new URL("/login", baseURL);
  url.hostname = "127.0.0.1";
  await wrong.goto(url.toString());
  const notice = wrong.getByRole("complementary", { name: "Wrong address" });
  await expect(notice).toContainText(`configured for ${baseURL}`);
  await expect(notice.getByRole("link", { name: baseURL ?? "" })).toHaveAttribute("href", baseURL ?? "");
  await checkPage(wrong, testInfo, "login-wrong-address");
  await other.close();
});

test("6. the first HTML already holds the tokens and the bookings", async ({ page }) => {
  await signUp(page);
  await generateToken(page, "Server rendered");
  await page.getByRole("button", { name: "Done" }).click();
  const html = await (await page.request.get("/dashboard/tokens")).text();
  expect(html).toContain("Server rendered");
  expect(html).toContain("<table");
  expect(html).not.toContain("Loading your tokens");
  const bookings = await (await page.request.get("/dashboard/bookings")).text();
  expect(bookings).toContain("No bookings yet.");
  expect(bookings).not.toContain("Loading your bookings");
});

test("7. readable failures: server unreachable, session ended in another tab, unknown page", async ({ page, context }, testInfo) => {
  await signUp(page);
  await openNewTokenForm(page);
  await page.getByLabel("Token name").fill("Offline");
  await page.route("**/api/trpc/**", (route) => route.abort("connectionrefused"));
  await page.getByRole("button", { name: "Generate token" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "Could not create" })).toContainText(
    "Could not create the token: Carestral’s server cannot be reached.",
  );
  await checkPage(page, testInfo, "tokens-server-unreachable");
  await page.unroute("**/api/trpc/**");

  // Signed out in another tab: the next action says so, with a link back here after signing in.
  const other = await context.newPage();
  await other.goto("/dashboard/bookings");
  await signOut(other);
  await other.close();
  await page.getByRole("button", { name: "Generate token" }).click();
  const alert = page.getByRole("alert").filter({ hasText: "Your session has ended" });
  await expect(alert).toBeVisible();
  await expect(alert.getByRole("link", { name: "Sign in again" })).toHaveAttribute("href", "/login?next=%2Fdashboard%2Ftokens");
  await checkPage(page, testInfo, "tokens-session-ended");

  const response = await page.goto("/no-such-page");
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "Page not found", level: 1 })).toBeVisible();
  await expect(page.getByRole("main")).toBeVisible();
  await checkPage(page, testInfo, "not-found");
});

test("8. bookings show address, phone and timezone; the cancel dialog starts on Keep booking; past ones cannot be cancelled", async ({
  page,
  baseURL,
}, testInfo) => {
  await signUp(page);
  const token = await generateToken(page, "Assistant", ["read:data", "write:bookings"]);
  await page.getByRole("button", { name: "Done" }).click();
  const assistant = await connectAiClient(baseURL ?? "", token);
  const search = await assistant.callTool({ name: "hospitals_search", arguments: { city: "paris", specialty: "pédiatrie", limit: 1 } });
  const [hospital] = (search.structuredContent as { hospitals: { id: string; name: string; address: string; phone: string | null }[] }).hospitals;
  expect(hospital).toBeDefined();
  const startsAt = new Date(Date.now() + 10 * 24 * 60 * 60 * 1000);
  startsAt.setUTCHours(8, 0, 0, 0);
  const created = await assistant.callTool({
    name: "bookings_create",
    arguments: { hospital_id: hospital?.id, specialty: "pédiatrie", starts_at: startsAt.toISOString() },
  });
  expect(created.isError).toBeFalsy();
  await assistant.close();

  await page.goto("/dashboard/bookings");
  await expect(page.getByText("Each appointment is at the hospital’s local time, labelled with its place")).toBeVisible();
  const row = page.getByRole("row").filter({ hasText: hospital?.name ?? "" });
  await expect(row).toContainText("(Paris time)");
  await expect(row).toContainText(hospital?.address ?? "");
  if (hospital?.phone) await expect(row.getByRole("link", { name: hospital.phone })).toHaveAttribute("href", /^tel:/);
  await checkPage(page, testInfo, "bookings-list");

  const cancel = row.getByRole("button", { name: /^Cancel Pédiatrie at / });
  await expect(cancel).toHaveAccessibleName(new RegExp(`^Cancel Pédiatrie at ${hospital?.name.replace(/[()]/g, "\\$&")}, `));
  await cancel.click();
  const dialog = page.getByRole("dialog");
  await expect(dialog.getByRole("button", { name: "Keep booking" })).toBeFocused();
  await checkPage(page, testInfo, "bookings-cancel-dialog");
  await page.keyboard.press("Enter");
  await expect(dialog).toBeHidden();
  await expect(row).toContainText("Confirmed");
  await expect(cancel).toBeFocused();

  // Seen from after the appointment: marked past, no Cancel.
  await page.clock.install({ time: new Date(startsAt.getTime() + 60 * 60 * 1000) });
  await page.reload();
  await expect(row).toContainText("(past)");
  await expect(row.getByRole("button", { name: /^Cancel/ })).toHaveCount(0);
  await checkPage(page, testInfo, "bookings-past");
});

test("9. wording: write without read warns, long names are refused, Sign in instead is a link, bad tokens say create a new one", async ({
  page,
}, testInfo) => {
  const user = await signUp(page);
  await openNewTokenForm(page);
  await page.getByRole("checkbox", { name: "read:data", exact: true }).uncheck();
  await page.getByRole("checkbox", { name: "write:bookings", exact: true }).check();
  await expect(page.getByText("cannot search hospitals or list your bookings")).toBeVisible();
  await checkPage(page, testInfo, "tokens-write-without-read");

  const tooLong = "x".repeat(65);
  await page.getByLabel("Token name").fill(tooLong);
  await expect(page.getByLabel("Token name")).toHaveValue(tooLong);
  await page.getByRole("button", { name: "Generate token" }).click();
  await expect(page.getByLabel("Token name")).toHaveAccessibleDescription("Use at most 64 characters.");

  const response = await page.request.post("/api/mcp", {
    headers: { Authorization: `Bearer mcp_${"x".repeat(49)}`, Accept: "application/json, text/event-stream", "Content-Type": "application/json" },
    data: { jsonrpc: "2.0", id: 1, method: "tools/list" },
  });
  expect(response.status()).toBe(401);
  expect(response.headers()["www-authenticate"]).toContain("create a new one");
  expect(response.headers()["www-authenticate"]).not.toContain("Copy it again");

  await signOut(page);
  await page.goto("/signup");
  await page.getByLabel("Email").fill(user.email);
  await page.getByLabel("First name").fill("Again");
  await page.getByLabel("Surname").fill("Again");
  await page.getByLabel("Password").fill("another long password");
  await page.getByRole("button", { name: "Create account" }).click();
  // With mail configured (as here), a taken address gets the same "Check your email" as a free one (issue 19 item 2).
  await expect(page.getByRole("heading", { name: "Check your email" })).toBeVisible();
  await checkPage(page, testInfo, "signup-email-taken");
});

test("10. the nav marks the current page, the theme follows the system, and there is a favicon", async ({ page }, testInfo) => {
  await signUp(page);
  const nav = page.getByRole("navigation", { name: "Dashboard" });
  await expect(nav.getByRole("link", { name: "API tokens" })).toHaveAttribute("aria-current", "page");
  await expect(nav.getByRole("link", { name: "Bookings" })).not.toHaveAttribute("aria-current", /.*/);
  await nav.getByRole("link", { name: "Bookings" }).click();
  await expect(nav.getByRole("link", { name: "Bookings" })).toHaveAttribute("aria-current", "page");
  await expect(nav.getByRole("link", { name: "API tokens" })).not.toHaveAttribute("aria-current", /.*/);
  await checkPage(page, testInfo, "bookings-empty");

  await page.emulateMedia({ colorScheme: "dark" });
  const background = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
  expect(background).toBe("rgb(15, 20, 25)");
  await checkPage(page, testInfo, "bookings-empty-dark");
  await nav.getByRole("link", { name: "API tokens" }).click();
  await generateToken(page, "Dark");
  await checkPage(page, testInfo, "tokens-new-token-panel-dark");
  await page.getByRole("button", { name: "Done" }).click();
  await checkPage(page, testInfo, "tokens-list-dark");
  await page.emulateMedia({ colorScheme: "light" });

  const icon = page.locator('head link[rel="icon"]');
  await expect(icon).toHaveCount(1);
  const href = (await icon.getAttribute("href")) ?? "";
  const favicon = await page.request.get(href);
  expect(favicon.status()).toBe(200);
  expect(favicon.headers()["content-type"]).toContain("image/svg+xml");
  await expectNoSidewaysScroll(page, "tokens");
});
