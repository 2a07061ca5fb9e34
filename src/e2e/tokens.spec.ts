import { expect, test, type Page } from "./test";
import { newTokenValue, openNewTokenForm, signUp } from "./helpers";

const DAY_MS = 24 * 60 * 60 * 1000;

test.use({ permissions: ["clipboard-read", "clipboard-write"] });

function tokenRow(page: Page, name: string) {
  return page.getByRole("row").filter({ has: page.getByRole("rowheader", { name, exact: true }) });
}

/** Fills the form and generates; returns the plaintext shown in the new-token panel. */
async function generateToken(page: Page, name: string, options: { expiration?: string; scopes?: string[] } = {}): Promise<string> {
  await openNewTokenForm(page);
  await page.getByLabel("Token name").fill(name);
  for (const scope of ["read:data", "write:bookings"]) {
    await page.getByRole("checkbox", { name: scope, exact: true }).setChecked((options.scopes ?? ["read:data"]).includes(scope));
  }
  if (options.expiration) await page.getByLabel("Expiration").selectOption(options.expiration);
  await page.getByRole("button", { name: "Generate token" }).click();
  const token = await newTokenValue(page);
  expect(token).toMatch(/^mcp_[0-9A-Za-z]{49}$/);
  return token;
}

async function callMcp(page: Page, token: string) {
  return page.request.post("/api/mcp", {
    headers: { Authorization: `Bearer ${token}`, Accept: "application/json, text/event-stream", "Content-Type": "application/json" },
    data: { jsonrpc: "2.0", id: 1, method: "tools/list" },
  });
}

test("generate a token, copy it once, then revoke it through the dialog", async ({ page, baseURL }) => {
  await signUp(page);
  await expect(page.getByRole("heading", { name: "API tokens", level: 1 })).toBeVisible();
  await expect(page.getByText("No tokens yet.")).toBeVisible();
  await openNewTokenForm(page);
  await expect(page.getByLabel("Expiration")).toHaveValue("30");

  const token = await generateToken(page, "Claude Desktop", { scopes: ["read:data", "write:bookings"] });
  await expect(page.getByText("You will not see it again")).toBeVisible();
  const mcpUrl = `${baseURL}/api/mcp`;
  // The entry to merge into claude_desktop_config.json's mcpServers (dashboard-round-two.spec.ts pastes every snippet).
  const desktop = JSON.parse(`{${(await page.getByLabel("Claude Desktop configuration").textContent()) ?? ""}}`) as {
    carestral: { args: string[]; env: Record<string, string> };
  };
  expect(desktop.carestral.args).toEqual(["-y", "mcp-remote", mcpUrl, "--header", "Authorization:${AUTH_HEADER}"]);
  expect(desktop.carestral.env.AUTH_HEADER).toBe(`Bearer ${token}`);
  await page.getByRole("tab", { name: "Claude Code" }).click();
  await expect(page.getByLabel("Claude Code command")).toContainText(
    `claude mcp add --transport http carestral ${mcpUrl} --header 'Authorization: Bearer \${CARESTRAL_TOKEN}'`,
  );

  await page.getByRole("button", { name: "Copy", exact: true }).click();
  await expect(page.getByRole("status").filter({ hasText: "Copied" })).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(token);

  const row = tokenRow(page, "Claude Desktop");
  await expect(row).toContainText(`${token.slice(0, 12)}…`);
  await expect(row).toContainText("read:data, write:bookings");
  await expect(row.getByRole("cell").nth(4)).toHaveText("Never"); // last used
  await expect(row).toContainText("Active");

  // The token works against the MCP server…
  expect((await callMcp(page, token)).status()).toBe(200);

  await page.getByRole("button", { name: "Done" }).click();
  await expect(page.getByRole("group", { name: "New token", exact: true })).toHaveCount(0);
  expect(await page.content()).not.toContain(token);

  await page.reload();
  await expect(tokenRow(page, "Claude Desktop")).toContainText("Active");
  expect(await page.content()).not.toContain(token);
  await expect(tokenRow(page, "Claude Desktop").getByRole("cell").nth(4)).toHaveText(/ago$|^just now$/);

  // Cancel leaves it alone.
  await tokenRow(page, "Claude Desktop").getByRole("button", { name: "Revoke" }).click();
  const dialog = page.getByRole("dialog");
  await expect(dialog).toContainText("Revoke “Claude Desktop”?");
  await dialog.getByRole("button", { name: "Keep token" }).click();
  await expect(dialog).toBeHidden();
  await expect(tokenRow(page, "Claude Desktop")).toContainText("Active");

  await tokenRow(page, "Claude Desktop").getByRole("button", { name: "Revoke" }).click();
  // The row says Revoked at once (optimistic); the server's answer is when the revocation has committed.
  const revokeAnswered = page.waitForResponse((response) => response.url().includes("tokens.revoke") && response.request().method() === "POST");
  await page.getByRole("dialog").getByRole("button", { name: "Revoke token" }).click();
  expect((await revokeAnswered).ok()).toBe(true);
  await expect(tokenRow(page, "Claude Desktop")).toContainText("Revoked");
  await expect(tokenRow(page, "Claude Desktop").locator("time").last()).toHaveAttribute("datetime", /\d{4}-\d\d-\d\dT/);
  await expect(tokenRow(page, "Claude Desktop").getByRole("button", { name: "Revoke" })).toHaveCount(0);

  // …and fails from the moment it is revoked, also after a reload of the page.
  const refused = await callMcp(page, token);
  expect(refused.status()).toBe(401);
  expect(refused.headers()["www-authenticate"]).toContain('error="invalid_token"');
  await page.reload();
  await expect(tokenRow(page, "Claude Desktop")).toContainText("Revoked");
});

test("generate with every expiration and see when each expires", async ({ page }) => {
  await signUp(page);
  for (const expiration of ["7", "30", "60", "90", "365", "never"]) {
    const name = `expires ${expiration}`;
    await openNewTokenForm(page);
    await page.getByLabel("Expiration").selectOption(expiration);
    const warning = page.getByText("A token that never expires works until you revoke it");
    if (expiration === "never") await expect(warning).toBeVisible();
    else await expect(warning).toHaveCount(0);

    const before = Date.now();
    await generateToken(page, name, { expiration });
    await page.getByRole("button", { name: "Done" }).click();

    const expires = tokenRow(page, name).getByRole("cell").nth(3);
    if (expiration === "never") {
      await expect(expires).toHaveText("Never");
    } else {
      const datetime = await expires.locator("time").getAttribute("datetime");
      const expected = before + Number(expiration) * DAY_MS;
      expect(Math.abs(new Date(datetime ?? "").getTime() - expected)).toBeLessThan(60_000);
    }
  }
  const names = await page.getByRole("rowheader").allTextContents();
  expect(names).toEqual(["expires never", "expires 365", "expires 90", "expires 60", "expires 30", "expires 7"]);
});

test("shows errors next to the fields they are about", async ({ page }) => {
  await signUp(page);
  await openNewTokenForm(page);
  await page.getByRole("checkbox", { name: "read:data", exact: true }).uncheck();
  await page.getByRole("button", { name: "Generate token" }).click();
  await expect(page.getByLabel("Token name")).toHaveAccessibleDescription("Give the token a name.");
  await expect(page.getByText("Choose at least one scope.")).toBeVisible();

  await generateToken(page, "Laptop");
  await page.getByRole("button", { name: "Done" }).click();
  await openNewTokenForm(page);
  await page.getByLabel("Token name").fill("laptop");
  await page.getByRole("button", { name: "Generate token" }).click();
  await expect(page.getByLabel("Token name")).toHaveAccessibleDescription(/already have an active token with this name/);
  await expect(page.getByRole("rowheader")).toHaveCount(1);
});

test("rolls an optimistic revoke back when the server fails, and retries a failed list", async ({ page }) => {
  await signUp(page);
  await generateToken(page, "Flaky network");
  await page.getByRole("button", { name: "Done" }).click();

  await page.route("**/api/trpc/tokens.revoke*", (route) => route.abort());
  await tokenRow(page, "Flaky network").getByRole("button", { name: "Revoke" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Revoke token" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "Could not revoke “Flaky network”" })).toBeVisible();
  await expect(tokenRow(page, "Flaky network")).toContainText("Active");
  await page.unroute("**/api/trpc/tokens.revoke*");

  // The list came with the page (server prefetch); a refresh that cannot reach the server keeps the rows
  // and says what happened.
  await generateToken(page, "Second");
  await page.getByRole("button", { name: "Done" }).click();
  await page.route("**/api/trpc/tokens.list*", (route) => route.abort());
  await tokenRow(page, "Second").getByRole("button", { name: "Revoke" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Revoke token" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "Could not load your tokens" })).toContainText("server cannot be reached");
  await expect(tokenRow(page, "Flaky network")).toContainText("Active");
  await page.unroute("**/api/trpc/tokens.list*");
  await page.getByRole("button", { name: "Retry" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "Could not load your tokens" })).toHaveCount(0);
  await expect(tokenRow(page, "Second")).toContainText("Revoked");
});

test("a denied clipboard selects the token for copying by hand", async ({ page }) => {
  await page.addInitScript(() => {
    navigator.clipboard.writeText = () => Promise.reject(new DOMException("Write permission denied.", "NotAllowedError"));
  });
  await signUp(page);
  const token = await generateToken(page, "No clipboard");
  await page.getByRole("button", { name: "Copy", exact: true }).click();
  await expect(page.getByRole("status").filter({ hasText: "Could not copy automatically" })).toBeVisible();
  expect(await page.evaluate(() => window.getSelection()?.toString())).toBe(token);
});
