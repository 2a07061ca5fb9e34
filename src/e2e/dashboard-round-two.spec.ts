import { execFileSync } from "node:child_process";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { expect, test, type Page } from "./test";
import { newTokenValue, openNewTokenForm, signUp } from "./helpers";
import { checkPage, isPhone } from "./page-check";

// Issue 20, the dashboard round two. Every test runs at 1280×800 and 390×844 (playwright.config.ts);
// checkPage runs axe, checks that nothing scrolls sideways and writes a screenshot of the state.

// Dates read in the person's zone, their browser's: Paris here, as the expected dates below are computed.
test.use({ permissions: ["clipboard-read", "clipboard-write"], timezoneId: "Europe/Paris" });
test.describe.configure({ timeout: 120_000 });

async function generateToken(page: Page, name: string): Promise<string> {
  await openNewTokenForm(page);
  await page.getByLabel("Token name").fill(name);
  await page.getByRole("button", { name: "Generate token" }).click();
  return newTokenValue(page);
}

async function callsWork(baseURL: string, token: string): Promise<boolean> {
  return connects(new URL("/api/mcp", baseURL), { Authorization: `Bearer ${token}` });
}

/** Whether an MCP client given this URL and headers, as a client's config file would give them, connects. */
async function connects(url: URL | string, headers: Record<string, string>): Promise<boolean> {
  const client = new Client({ name: "e2e-round-two", version: "1.0.0" });
  try {
    await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
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

/** Runs a shell snippet in bash, `claude` replaced by a printer of its arguments, the token typed on stdin. */
function runInShell(snippet: string, token: string): string[] {
  const out = execFileSync("bash", ["--norc", "--noprofile", "-c", `claude() { printf '%s\\n' "$@"; }\n${snippet}`], {
    input: `${token}\n`,
    stdio: "pipe",
  });
  return out.toString().trimEnd().split("\n");
}

async function snippetText(page: Page, label: string): Promise<string> {
  return (await page.getByRole("group", { name: label }).textContent()) ?? "";
}

test("2 and 3. the one-time panel: token first, one client at a time in tabs, setup that keeps the token out of shared files, Done in reach", async ({ page, baseURL }, testInfo) => {
  await signUp(page);
  const token = await generateToken(page, "All clients");
  const mcpUrl = `${baseURL}/api/mcp`;
  const panel = page.getByRole("region", { name: "Token “All clients” created" });

  // The token, its Copy and the warning come before any setup.
  const tokenBox = panel.getByRole("group", { name: "New token", exact: true });
  const tablist = panel.getByRole("tablist", { name: "Set up your assistant" });
  const [warningY = Infinity, tokenY = Infinity, tabsY = 0] = await Promise.all(
    [panel.getByText("You will not see it again"), tokenBox, tablist].map(async (locator) => (await locator.boundingBox())?.y ?? Infinity),
  );
  expect(warningY).toBeLessThan(tabsY);
  expect(tokenY).toBeLessThan(tabsY);
  // On a phone the token wraps inside the card.
  const edges = await tokenBox.evaluate((box) => {
    const card = box.closest("section")?.getBoundingClientRect();
    const code = box.querySelector("code")?.getBoundingClientRect();
    return { card: card?.right ?? 0, code: code?.right ?? Infinity };
  });
  expect(edges.code).toBeLessThanOrEqual(edges.card);

  const tabs = tablist.getByRole("tab");
  await expect(tabs).toHaveText(["Claude Desktop", "Claude Code", "Cursor", "VS Code", "curl"]);
  await expect(tabs.first()).toHaveAttribute("aria-selected", "true");
  await checkPage(page, testInfo, "tokens-new-token-panel-claude-desktop");

  // Claude Desktop: an entry pasted into an existing config, which stays valid JSON with both servers.
  await expect(panel).toContainText("~/Library/Application Support/Claude/claude_desktop_config.json");
  await expect(panel).toContainText("%APPDATA%\\Claude\\claude_desktop_config.json");
  const existing = '{\n  "mcpServers": {\n    "filesystem": { "command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "/tmp"] }\n  }\n}';
  const desktopEntry = await snippetText(page, "Claude Desktop configuration");
  const desktop = JSON.parse(existing.replace('"mcpServers": {\n', `"mcpServers": {\n${desktopEntry},\n`)) as {
    mcpServers: Record<string, { command: string; args: string[]; env?: Record<string, string> }>;
  };
  expect(Object.keys(desktop.mcpServers)).toEqual(["carestral", "filesystem"]);
  expect(desktop.mcpServers.carestral?.args).toEqual(["-y", "mcp-remote", mcpUrl, "--header", "Authorization:${AUTH_HEADER}"]);
  expect(desktop.mcpServers.carestral?.env).toEqual({ AUTH_HEADER: `Bearer ${token}` });
  const copies: Record<string, string> = { "Claude Desktop configuration": desktopEntry };

  // Arrow keys move between tabs and select them.
  await tabs.first().focus();
  await page.keyboard.press("ArrowRight");
  await expect(tablist.getByRole("tab", { name: "Claude Code" })).toBeFocused();
  await expect(tablist.getByRole("tab", { name: "Claude Code" })).toHaveAttribute("aria-selected", "true");
  await expect(page.getByRole("group", { name: "Claude Desktop configuration" })).toHaveCount(0);

  // Claude Code: bash reads the token without it appearing in the command, and the config keeps a reference.
  const claudeCode = await snippetText(page, "Claude Code command");
  expect(claudeCode).not.toContain(token);
  expect(runInShell(claudeCode, token)).toEqual(["mcp", "add", "--transport", "http", "carestral", mcpUrl, "--header", "Authorization: Bearer ${CARESTRAL_TOKEN}"]);
  copies["Claude Code command"] = claudeCode;

  await page.keyboard.press("ArrowRight");
  await expect(tablist.getByRole("tab", { name: "Cursor" })).toHaveAttribute("aria-selected", "true");
  // Cursor: the project file reads the token from the environment; the one-click link carries a working config.
  const cursorFile = await snippetText(page, "Cursor configuration");
  const cursor = JSON.parse(cursorFile) as { mcpServers: { carestral: { url: string; headers: Record<string, string> } } };
  expect(cursor.mcpServers.carestral).toEqual({ url: mcpUrl, headers: { Authorization: "Bearer ${env:CARESTRAL_TOKEN}" } });
  const cursorLink = new URL((await panel.getByRole("link", { name: "Add to Cursor" }).getAttribute("href")) ?? "");
  expect(`${cursorLink.protocol}//${cursorLink.host}${cursorLink.pathname}`).toBe("cursor://anysphere.cursor-deeplink/mcp/install");
  expect(cursorLink.searchParams.get("name")).toBe("carestral");
  const cursorInstalled = JSON.parse(atob(cursorLink.searchParams.get("config") ?? "")) as { url: string; headers: Record<string, string> };
  expect(await connects(cursorInstalled.url, cursorInstalled.headers)).toBe(true);
  const cursorWithEnv = cursorFile.replace("${env:CARESTRAL_TOKEN}", token);
  const fromEnv = (JSON.parse(cursorWithEnv) as typeof cursor).mcpServers.carestral;
  expect(await connects(fromEnv.url, fromEnv.headers)).toBe(true);
  copies["Cursor configuration"] = cursorFile;

  await page.keyboard.press("ArrowRight");
  await expect(tablist.getByRole("tab", { name: "VS Code" })).toHaveAttribute("aria-selected", "true");
  // VS Code: a password prompt; the file and the install link hold no token.
  const vscodeFile = await snippetText(page, "VS Code configuration");
  expect(vscodeFile).not.toContain(token);
  const prompt = { type: "promptString", id: "carestral-token", description: "Carestral token (mcp_…)", password: true };
  const server = { type: "http", url: mcpUrl, headers: { Authorization: "Bearer ${input:carestral-token}" } };
  expect(JSON.parse(vscodeFile)).toEqual({ inputs: [prompt], servers: { carestral: server } });
  const vscodeLink = (await panel.getByRole("link", { name: "Add to VS Code" }).getAttribute("href")) ?? "";
  expect(vscodeLink.startsWith("vscode:mcp/install?")).toBe(true);
  expect(JSON.parse(decodeURIComponent(vscodeLink.slice("vscode:mcp/install?".length)))).toEqual({ name: "carestral", ...server, inputs: [prompt] });
  copies["VS Code configuration"] = vscodeFile;
  await checkPage(page, testInfo, "tokens-new-token-panel-vscode");

  await page.keyboard.press("End");
  await expect(tablist.getByRole("tab", { name: "curl" })).toBeFocused();
  copies["curl command"] = await snippetText(page, "curl command");
  expect(copies["curl command"]).not.toContain(token);
  await page.keyboard.press("Home");
  await expect(tablist.getByRole("tab", { name: "Claude Desktop" })).toHaveAttribute("aria-selected", "true");

  // Each tab's Copy copies exactly its snippet; the panel is never taller than this bound (see below).
  const heights: number[] = [];
  for (const [label, text] of Object.entries(copies)) {
    const client = label.replace(/ (configuration|command)$/, "");
    await tablist.getByRole("tab", { name: client, exact: true }).click();
    const copy = panel.getByRole("button", { name: `Copy ${label}`, exact: true });
    await copy.click();
    await expect(copy.locator("xpath=..").getByRole("status")).toHaveText("Copied");
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(text);
    heights.push((await panel.boundingBox())?.height ?? Infinity);
  }
  // The old panel was 3,500 px tall on a desktop and 6,400 px on a phone. Now the tallest tab fits in two
  // phone screens (2 × 844 px) and in one and a half desktop screens (1.5 × 800 px).
  testInfo.annotations.push({ type: "panel heights (px)", description: heights.map(Math.round).join(", ") });
  expect(Math.max(...heights)).toBeLessThanOrEqual(isPhone(testInfo) ? 2 * 844 : 1.5 * 800);

  // Done stays on screen wherever the panel is scrolled to.
  const done = panel.getByRole("button", { name: "Done" });
  await panel.getByRole("heading", { level: 2 }).evaluate((heading) => heading.scrollIntoView({ block: "start" }));
  await expect(done).toBeInViewport();

  // The choice is remembered: the next token opens on the client chosen last, also after a reload.
  await tablist.getByRole("tab", { name: "VS Code" }).click();
  await done.click();
  await generateToken(page, "Second");
  await expect(page.getByRole("tab", { name: "VS Code" })).toHaveAttribute("aria-selected", "true");
  await page.getByRole("button", { name: "Done" }).click();
  await page.reload();
  await generateToken(page, "Third");
  await expect(page.getByRole("tab", { name: "VS Code" })).toHaveAttribute("aria-selected", "true");
});

test("8. a token's page revokes in place, with the list's dialog", async ({ page, baseURL }, testInfo) => {
  await signUp(page);
  const token = await generateToken(page, "In place");
  await page.getByRole("button", { name: "Done" }).click();
  await page.getByRole("link", { name: "In place" }).click();
  await expect(page.getByRole("heading", { name: "In place", level: 1 })).toBeVisible();
  const tokenUrl = page.url();

  await page.getByRole("button", { name: "Revoke", exact: true }).click();
  const dialog = page.getByRole("dialog", { name: "Revoke “In place”?" });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole("button", { name: "Keep token" })).toBeFocused();
  await checkPage(page, testInfo, "token-page-revoke-dialog");
  await dialog.getByRole("button", { name: "Keep token" }).click();
  await expect(dialog).toBeHidden();
  expect(await callsWork(baseURL ?? "", token)).toBe(true);

  await page.getByRole("button", { name: "Revoke", exact: true }).click();
  await dialog.getByRole("button", { name: "Revoke token" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Token “In place” revoked: its next request is refused." })).toBeVisible();
  const settings = page.getByRole("region", { name: "Settings" });
  await expect(settings.getByText("Revoked", { exact: true })).toBeVisible();
  await expect(page.getByRole("heading", { name: "Settings" })).toBeFocused();
  await expect(page.getByRole("button", { name: "Revoke", exact: true })).toHaveCount(0);
  expect(page.url()).toBe(tokenUrl);
  expect(await callsWork(baseURL ?? "", token)).toBe(false);
  await checkPage(page, testInfo, "token-page-revoked-in-place");
});

/** The date `days` from now as YYYY-MM-DD and as the app prints it, both in the person's zone (the browser's, Paris). */
function dateAhead(days: number): { iso: string; shown: string } {
  const date = new Date(Date.now() + days * 24 * 60 * 60 * 1000);
  return {
    iso: new Intl.DateTimeFormat("en-CA", { year: "numeric", month: "2-digit", day: "2-digit", timeZone: "Europe/Paris" }).format(date),
    shown: new Intl.DateTimeFormat("en", { dateStyle: "medium", timeZone: "Europe/Paris" }).format(date),
  };
}

test("4 and 12. a custom expiry date up to a year, and a token's expiry edited from its page with the same secret", async ({ page, baseURL }, testInfo) => {
  await signUp(page);
  await openNewTokenForm(page);
  await page.getByLabel("Token name").fill("Custom date");
  await page.getByLabel("Expiration", { exact: true }).selectOption("custom");
  const date = page.getByLabel("Expiration date");
  await expect(date).toHaveAttribute("min", dateAhead(1).iso);
  await date.fill(dateAhead(400).iso);
  await page.getByRole("button", { name: "Generate token" }).click();
  await expect(page.getByText("Choose a date within a year from today.")).toBeVisible();
  await expect(date).toHaveAttribute("aria-invalid", "true");
  await checkPage(page, testInfo, "tokens-new-token-custom-date-error");

  const in45 = dateAhead(45);
  await date.fill(in45.iso);
  await page.getByRole("button", { name: "Generate token" }).click();
  const token = await newTokenValue(page);
  await page.getByRole("button", { name: "Done" }).click();
  const row = page.getByRole("row").filter({ has: page.getByRole("rowheader", { name: "Custom date", exact: true }) });
  await expect(row.getByRole("cell").nth(3)).toHaveText(in45.shown);

  await page.getByRole("link", { name: "Custom date" }).click();
  const settings = page.getByRole("region", { name: "Settings" });
  await expect(settings).toContainText(`${in45.shown} (45-day lifetime)`);
  const form = page.getByRole("form", { name: "Change expiration" });
  await form.getByLabel("New expiration").selectOption("never");
  await expect(form.getByText("A token that never expires works until you revoke it")).toBeVisible();
  await form.getByRole("button", { name: "Save expiration" }).click();
  await expect(form.getByRole("status")).toHaveText("Saved: never expires");
  await expect(settings.getByRole("definition").filter({ hasText: "Never" }).first()).toBeVisible();

  const in10 = dateAhead(10);
  await form.getByLabel("New expiration").selectOption("custom");
  await form.getByLabel("Expiration date").fill(in10.iso);
  await form.getByRole("button", { name: "Save expiration" }).click();
  await expect(form.getByRole("status")).toHaveText(`Saved: expires ${in10.shown}`);
  await expect(settings).toContainText(in10.shown);
  // The count agrees with the date beside it (issue 20 item 6: it used to round down to 9).
  await expect(settings).toContainText("Expires in 10 days");
  await checkPage(page, testInfo, "token-page-expiration-changed");
  // The same secret, still working.
  expect(await callsWork(baseURL ?? "", token)).toBe(true);
  await page.goto("/dashboard/tokens");
  await expect(row.getByRole("cell").nth(3)).toContainText(in10.shown);
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
  await expect(row).toContainText("Expires in 7 days");
  await checkPage(page, testInfo, "tokens-expires-soon");
  await page.getByRole("link", { name: "Week" }).click();
  await expect(page.getByRole("region", { name: "Settings" })).toContainText("Expires in 7 days");
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
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page.getByRole("alert").filter({ hasText: "Wrong" })).toBeVisible();
  await expect(page.getByLabel("Password")).toBeFocused();
});
