import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { expect, test, type Page } from "@playwright/test";
import { newTokenValue, openNewTokenForm, signUp } from "./helpers";
import { checkPage } from "./page-check";

// Issue 20, the dashboard round two. Every test runs at 1280×800 and 390×844 (playwright.config.ts);
// checkPage runs axe, checks that nothing scrolls sideways and writes a screenshot of the state.

test.use({ permissions: ["clipboard-read", "clipboard-write"] });
test.describe.configure({ timeout: 120_000 });

async function generateToken(page: Page, name: string): Promise<string> {
  await openNewTokenForm(page);
  await page.getByLabel("Token name").fill(name);
  await page.getByRole("button", { name: "Generate token" }).click();
  return newTokenValue(page);
}

async function callsWork(baseURL: string, token: string): Promise<boolean> {
  const client = new Client({ name: "e2e-round-two", version: "1.0.0" });
  try {
    await client.connect(
      new StreamableHTTPClientTransport(new URL("/api/mcp", baseURL), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }),
    );
    await client.close();
    return true;
  } catch {
    return false;
  }
}

test("1. the tokens page shows the MCP server URL at all times, with Copy and how to connect with or without a token", async ({ page, baseURL }, testInfo) => {
  await signUp(page);
  const section = page.getByRole("region", { name: "MCP server URL" });
  await expect(section.getByRole("group", { name: "MCP server URL" })).toHaveText(`${baseURL}/api/mcp`);
  await expect(section).toContainText("no token needed");
  await expect(section).toContainText("Authorization: Bearer mcp_");
  await section.getByRole("button", { name: "Copy MCP server URL" }).click();
  await expect(section.getByRole("status")).toHaveText("Copied");
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(`${baseURL}/api/mcp`);
  // The empty connected-apps section points "above", and the URL is indeed above it.
  const urlBox = await section.boundingBox();
  const apps = await page.getByText("No connected apps.").boundingBox();
  expect(urlBox && apps && urlBox.y < apps.y).toBe(true);
  await checkPage(page, testInfo, "tokens-empty-with-mcp-url");
});

test("5. Regenerate keeps the token's page and can let the old secret overlap; the panel says regenerated", async ({ page, baseURL }, testInfo) => {
  await signUp(page);
  const oldToken = await generateToken(page, "Rolling");
  await page.getByRole("button", { name: "Done" }).click();
  await page.getByRole("link", { name: "Rolling" }).click();
  await expect(page.getByRole("heading", { name: "Rolling", level: 1 })).toBeVisible();
  const tokenUrl = page.url();

  await page.getByRole("radio", { name: "Keeps working for 1 day" }).check();
  await page.getByRole("button", { name: "Regenerate", exact: true }).click();
  const dialog = page.getByRole("dialog", { name: "Regenerate “Rolling”?" });
  await expect(dialog).toContainText("keeps working for 1 day, then stops");
  await checkPage(page, testInfo, "token-regenerate-overlap-dialog");
  await dialog.getByRole("button", { name: "Regenerate token" }).click();
  await expect(page.getByRole("heading", { name: "Token “Rolling” regenerated" })).toBeVisible();
  const newToken = await newTokenValue(page);
  expect(newToken).not.toBe(oldToken);
  await page.getByRole("button", { name: "Done" }).click();

  const settings = page.getByRole("region", { name: "Settings" });
  await expect(settings).toContainText(`${oldToken.slice(0, 12)}… keeps working until`);
  await checkPage(page, testInfo, "token-page-previous-secret");
  expect(await callsWork(baseURL ?? "", oldToken)).toBe(true);
  expect(await callsWork(baseURL ?? "", newToken)).toBe(true);

  // The old page's address leads to the same token; the list holds it once.
  await page.goto(tokenUrl);
  await expect(page.getByRole("heading", { name: "Rolling", level: 1 })).toBeVisible();
  await expect(settings).toContainText(newToken.slice(0, 12));
  await page.goto("/dashboard/tokens");
  await expect(page.getByRole("rowheader", { name: "Rolling" })).toHaveCount(1);
});

test("4. each lifetime shows its end date, and a token close to its expiry says so on its row and page", async ({ page }, testInfo) => {
  await signUp(page);
  await openNewTokenForm(page);
  await page.getByLabel("Token name").fill("Week");
  // Each lifetime shows the date it ends on.
  const in30Days = new Intl.DateTimeFormat("en", { dateStyle: "medium", timeZone: "Europe/Paris" }).format(new Date(Date.now() + 30 * 86_400_000));
  await expect(page.getByRole("option", { name: `30 days (recommended) — expires ${in30Days}` })).toHaveCount(1);
  await page.getByLabel("Expiration").selectOption("7");
  await page.getByRole("button", { name: "Generate token" }).click();
  await newTokenValue(page);
  await page.getByRole("button", { name: "Done" }).click();
  const row = page.getByRole("row").filter({ has: page.getByRole("rowheader", { name: "Week" }) });
  await expect(row).toContainText(/Expires in [67] days/);
  await checkPage(page, testInfo, "tokens-expires-soon");
  await page.getByRole("link", { name: "Week" }).click();
  await expect(page.getByRole("region", { name: "Settings" })).toContainText(/Expires in [67] days/);
});

test("12. /dashboard leads to the tokens page, and a skip link is the first Tab stop", async ({ page }, testInfo) => {
  await signUp(page);
  await page.goto("/dashboard");
  await expect(page).toHaveURL(/\/dashboard\/tokens$/);
  await page.keyboard.press("Tab");
  const skip = page.getByRole("link", { name: "Skip to main content" });
  await expect(skip).toBeFocused();
  await expect(skip).toBeInViewport();
  await checkPage(page, testInfo, "skip-link-focused");
  await page.keyboard.press("Enter");
  await expect(page.getByRole("main")).toBeFocused();
  // The next Tab goes into the page's content, past the header's links.
  await page.keyboard.press("Tab");
  expect(await page.evaluate(() => document.activeElement?.closest("main") !== null)).toBe(true);
});

test("10. after a failed submit, focus lands on the first field in error, not on <body>", async ({ page }, testInfo) => {
  // An empty sign-up: every field is in error; the first is Email.
  await page.goto("/signup");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByLabel("Email")).toHaveAttribute("aria-invalid", "true");
  await expect(page.getByLabel("Email")).toBeFocused();

  const user = await signUp(page);
  // A wrong current password.
  await page.goto("/settings");
  await page.getByLabel("Current password").fill("not my password at all");
  await page.getByLabel("New password").fill("a brand new password 123");
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByLabel("Current password")).toHaveAttribute("aria-invalid", "true");
  await expect(page.getByLabel("Current password")).toBeFocused();
  await checkPage(page, testInfo, "settings-wrong-current-password-focused");

  // A wrong password at sign-in marks no one field: the password is what to type again.
  await page.getByRole("banner").getByRole("button", { name: "Sign out" }).click();
  await expect(page).not.toHaveURL(/\/settings/);
  await page.goto("/login");
  await page.getByLabel("Email").fill(user.email);
  await page.getByLabel("Password").fill("not my password at all");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "Wrong" })).toBeVisible();
  await expect(page.getByLabel("Password")).toBeFocused();
});
