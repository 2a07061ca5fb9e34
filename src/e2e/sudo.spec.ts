import { expect, test, type Page } from "./test";
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { testDatabaseUrl } from "~/test/env";
import { clientMetadata, pkcePair, registerClient } from "~/test/oauth";
import { createPostgresDatabase, type ScratchDatabase } from "~/test/postgres-database";
import { addVirtualAuthenticator, newTokenValue, openNewTokenForm, signUp, type E2EUser } from "./helpers";
import { checkPage } from "./page-check";
import { setUpAuthenticatorApp } from "./two-factor";

// Sudo mode (issue 22): a session whose last check of who holds it is over 10 minutes old is asked for the
// password, in place, before a sensitive change; what was typed stays. "Over 10 minutes old" is set in the
// database, so this spec runs its own server (the same build) on a fresh PostgreSQL database it can reach.
// No SMTP_URL: sign-up signs in at once.

const port = Number(process.env.E2E_PORT ?? 3100) + 41;
const base = `http://localhost:${port}`;
let server: ChildProcess | undefined;
let database: ScratchDatabase | undefined;

test.use({ baseURL: base });
test.describe.configure({ timeout: 120_000 });

test.beforeAll(async () => {
  if (!testDatabaseUrl) throw new Error("sudo.spec.ts needs TEST_DATABASE_URL (a PostgreSQL server to create its database on)");
  database = await createPostgresDatabase(testDatabaseUrl, `carestral_e2e_sudo_${randomBytes(4).toString("hex")}`);
  const { SMTP_URL: _smtp, ...inherited } = process.env;
  const env: NodeJS.ProcessEnv = { ...inherited, NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1", NEXT_DIST_DIR: ".next-test", PORT: String(port), APP_URL: base, DATABASE_URL: database.url, AUTH_RATE_LIMIT_PER_MINUTE: "1000", TOTP_ENCRYPTION_KEY: randomBytes(32).toString("base64") };
  server = spawn("node", ["server.mjs"], { env, stdio: "ignore" });
  await expect(async () => {
    const health = await fetch(`${base}/api/health`);
    expect(health.ok).toBe(true);
  }).toPass({ timeout: 90_000 });
});

test.afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server?.once("exit", resolve));
    server.kill();
    await exited;
  }
  await database?.drop();
});

/** Moves the person's every session's last check 11 minutes back: what waiting would do. */
async function leaveSudoMode(user: E2EUser): Promise<void> {
  if (!database) throw new Error("no database");
  const sql = postgres(database.url, { max: 1, onnotice: () => {} });
  try {
    const updated = await sql`update sessions set last_verified_at = now() - interval '11 minutes' where user_id = (select id from users where email = ${user.email})`;
    expect(updated.count).toBeGreaterThan(0);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

function confirmAccessDialog(page: Page) {
  return page.getByRole("dialog", { name: "Confirm access" });
}

test("a token that can book, from a session past sudo mode: asked in place, Escape keeps the form, the token is made after the password", async ({ page }, testInfo) => {
  const user = await signUp(page);
  await leaveSudoMode(user);
  await openNewTokenForm(page);
  await page.getByLabel("Token name").fill("Booking assistant");
  await page.getByRole("checkbox", { name: "write:bookings", exact: true }).check();
  await page.getByRole("button", { name: "Generate token" }).click();

  const dialog = confirmAccessDialog(page);
  await expect(dialog).toBeVisible();
  await expect(dialog.getByLabel("Password")).toBeFocused();
  await checkPage(page, testInfo, "sudo-prompt-token");

  // Escape: nothing is created, and the form is as it was.
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();
  await expect(page.getByRole("alert").filter({ hasText: "Could not create the token: Confirm access to continue" })).toBeVisible();
  await expect(page.getByLabel("Token name")).toHaveValue("Booking assistant");
  await expect(page.getByRole("checkbox", { name: "read:data", exact: true })).toBeChecked();
  await expect(page.getByRole("checkbox", { name: "write:bookings", exact: true })).toBeChecked();
  await expect(page.getByRole("group", { name: "New token", exact: true })).toHaveCount(0);

  // A wrong password is refused in the prompt; the right one sends the same form on.
  await page.getByRole("button", { name: "Generate token" }).click();
  await expect(dialog.getByLabel("Password")).toBeFocused();
  await dialog.getByLabel("Password").fill("not my password");
  await dialog.getByRole("button", { name: "Confirm" }).click();
  await expect(dialog.getByText("That is not your current password.")).toBeVisible();
  await expect(dialog.getByLabel("Password")).toBeFocused();
  await checkPage(page, testInfo, "sudo-prompt-wrong-password");
  await dialog.getByLabel("Password").fill(user.password);
  await dialog.getByRole("button", { name: "Confirm" }).click();
  await expect(dialog).toBeHidden();
  expect(await newTokenValue(page)).toMatch(/^mcp_[0-9A-Za-z]{49}$/);
  await page.getByRole("button", { name: "Done" }).click();
  const row = page.getByRole("row").filter({ hasText: "Booking assistant" });
  await expect(row).toContainText("write:bookings");

  // Confirmed: no second prompt within the 10 minutes.
  await openNewTokenForm(page);
  await page.getByLabel("Token name").fill("Second booker");
  await page.getByRole("checkbox", { name: "write:bookings", exact: true }).check();
  await page.getByRole("button", { name: "Generate token" }).click();
  expect(await newTokenValue(page)).toMatch(/^mcp_/);
  await expect(dialog).toBeHidden();
});

test("change password and delete account ask the same way, over their own forms and dialog", async ({ page }, testInfo) => {
  const user = await signUp(page);
  await leaveSudoMode(user);
  await page.goto("/settings");
  // Typed only once the page has settled: on a busy machine a late render cleared the current password typed
  // before it, and the change went out without one (seen once in a full run).
  await page.waitForLoadState("networkidle");
  const newPassword = `${user.password}-changed`;
  await page.getByLabel("Current password").fill(user.password);
  await page.getByLabel("New password").fill(newPassword);
  await page.getByRole("button", { name: "Change password" }).click();

  const dialog = confirmAccessDialog(page);
  await expect(dialog.getByLabel("Password")).toBeFocused();
  await checkPage(page, testInfo, "sudo-prompt-password");
  await dialog.getByLabel("Password").fill(user.password);
  await dialog.getByRole("button", { name: "Confirm" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Password changed." })).toBeVisible();
  await expect(page.getByLabel("Current password")).toHaveValue("");

  await leaveSudoMode(user);
  await page.getByRole("button", { name: "Delete account" }).click();
  const deleteDialog = page.getByRole("dialog", { name: "Delete your account?" });
  await deleteDialog.getByLabel("Password").fill(newPassword);
  await deleteDialog.getByRole("button", { name: "Delete my account" }).click();
  await expect(dialog.getByLabel("Password")).toBeFocused();
  await checkPage(page, testInfo, "sudo-prompt-delete");
  // Escape closes the prompt only: the delete dialog stays open with its password.
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();
  await expect(deleteDialog.getByLabel("Password")).toHaveValue(newPassword);
  await expect(deleteDialog.getByRole("alert")).toContainText("Confirm access to continue");

  await deleteDialog.getByRole("button", { name: "Delete my account" }).click();
  await dialog.getByLabel("Password").fill(newPassword);
  await dialog.getByRole("button", { name: "Confirm" }).click();
  await expect(page).toHaveURL(/\/\?deleted=1$/);
});

test("OAuth: Allow with write:bookings from a session past sudo mode asks first, keeping the choices made", async ({ page }, testInfo) => {
  const user = await signUp(page);
  const redirectUri = "http://127.0.0.1:9/callback";
  const client = await registerClient(base, { ...clientMetadata(redirectUri), client_name: "Sudo Test Client" });
  const { challenge } = pkcePair();
  const authorize = new URL("/oauth/authorize", base);
  for (const [name, value] of Object.entries({
    response_type: "code",
    client_id: client.client_id,
    redirect_uri: redirectUri,
    code_challenge: challenge,
    code_challenge_method: "S256",
    scope: "read:data write:bookings",
    resource: `${base}/api/mcp`,
    state: "sudo-state",
  })) {
    authorize.searchParams.set(name, value);
  }
  // The client's loopback callback: answered here, so the browser lands somewhere.
  const callbacks: URL[] = [];
  await page.route(`${redirectUri}**`, async (route) => {
    callbacks.push(new URL(route.request().url()));
    await route.fulfill({ contentType: "text/plain", body: "Back in the app." });
  });

  await leaveSudoMode(user);
  // The server checks whatever the page did: a form post allowing write:bookings is sent back to the page,
  // which asks, with the permissions as they were chosen (here read:data left out).
  const form = new URLSearchParams(authorize.searchParams);
  form.set("decision", "allow");
  form.append("granted", "write:bookings");
  const posted = await page.request.post(`${base}/oauth/authorize/decision`, {
    headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: base },
    data: form.toString(),
    maxRedirects: 0,
  });
  expect(posted.status()).toBe(303);
  const back = new URL(posted.headers().location ?? "", base);
  expect(back.pathname).toBe("/oauth/authorize");
  expect(callbacks).toEqual([]);

  await page.goto(back.toString());
  await expect(page.getByRole("heading", { name: "Authorize Sudo Test Client", level: 1 })).toBeVisible();
  await expect(page.getByRole("alert").filter({ hasText: "needs you to confirm it is you again" })).toBeVisible();
  const readScope = page.getByRole("checkbox", { name: /read:data/ });
  const writeScope = page.getByRole("checkbox", { name: /write:bookings/ });
  await expect(readScope).not.toBeChecked();
  await expect(writeScope).toBeChecked();
  await readScope.check();
  await page.getByRole("button", { name: "Allow" }).click();
  const dialog = confirmAccessDialog(page);
  await expect(dialog.getByLabel("Password")).toBeFocused();
  await checkPage(page, testInfo, "sudo-prompt-consent");
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();
  expect(callbacks).toEqual([]);
  await expect(page).toHaveURL(/\/oauth\/authorize\?/);
  await expect(readScope).toBeChecked();
  await expect(writeScope).toBeChecked();

  await page.getByRole("button", { name: "Allow" }).click();
  await dialog.getByLabel("Password").fill(user.password);
  await dialog.getByRole("button", { name: "Confirm" }).click();
  await expect(page).toHaveURL(/^http:\/\/127\.0\.0\.1:9\/callback\?/);
  expect(callbacks).toHaveLength(1);
  expect(callbacks[0]?.searchParams.get("code")).toBeTruthy();
  expect(callbacks[0]?.searchParams.get("state")).toBe("sudo-state");
});

test("a passkey of the account confirms access too, in the same prompt", async ({ page }, testInfo) => {
  await addVirtualAuthenticator(page);
  const user = await signUp(page);
  await page.goto("/settings");
  await page.getByLabel("Passkey name").fill("Laptop");
  await page.getByRole("button", { name: "Add passkey" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Added “Laptop”" })).toBeVisible();

  await leaveSudoMode(user);
  await page.goto("/dashboard/tokens");
  await openNewTokenForm(page);
  await page.getByLabel("Token name").fill("Passkey booker");
  await page.getByRole("checkbox", { name: "write:bookings", exact: true }).check();
  await page.getByRole("button", { name: "Generate token" }).click();
  const dialog = confirmAccessDialog(page);
  await expect(dialog.getByLabel("Password")).toBeFocused();
  await expect(dialog.getByRole("button", { name: "Use a passkey" })).toBeVisible();
  await checkPage(page, testInfo, "sudo-prompt-passkey");
  await dialog.getByRole("button", { name: "Use a passkey" }).click();
  await expect(dialog).toBeHidden();
  expect(await newTokenValue(page)).toMatch(/^mcp_[0-9A-Za-z]{49}$/);
});

test("with an authenticator app the prompt takes its code: a wrong or replayed one is refused by the field, a recovery code says how many are left, too many tries say when to retry", async ({ page }, testInfo) => {
  const user = await signUp(page);
  const { authenticator, recoveryCodes } = await setUpAuthenticatorApp(page);
  await page.goto("/dashboard/tokens");
  const dialog = confirmAccessDialog(page);
  /** Leaves sudo mode and asks for a token that can book: the prompt opens over the form. */
  async function askForBooker(name: string) {
    await leaveSudoMode(user);
    await openNewTokenForm(page);
    await page.getByLabel("Token name").fill(name);
    await page.getByRole("checkbox", { name: "write:bookings", exact: true }).check();
    await page.getByRole("button", { name: "Generate token" }).click();
    await expect(dialog.getByLabel("Password")).toBeFocused();
    await expect(dialog).toContainText("This change needs your password again, or a code from your authenticator app.");
    await dialog.getByRole("button", { name: "Use authenticator app" }).click();
    await expect(dialog.getByLabel("Code", { exact: true })).toBeFocused();
  }
  async function confirmWithCode(code: string) {
    await dialog.getByLabel("Code", { exact: true }).fill(code);
    await dialog.getByRole("button", { name: "Confirm" }).click();
  }
  const wrongCode = "That code is not right, or was already used. Enter the code your app shows now, or an unused recovery code.";

  await askForBooker("App booker");
  await checkPage(page, testInfo, "sudo-prompt-code");
  await confirmWithCode(authenticator.wrongCode());
  await expect(dialog.getByText(wrongCode)).toBeVisible();
  await expect(dialog.getByLabel("Code", { exact: true })).toBeFocused();
  await checkPage(page, testInfo, "sudo-prompt-wrong-code");
  await confirmWithCode(await authenticator.freshCode());
  await expect(dialog).toBeHidden();
  expect(await newTokenValue(page)).toMatch(/^mcp_[0-9A-Za-z]{49}$/);
  await page.getByRole("button", { name: "Done" }).click();
  await expect(page.getByRole("row").filter({ hasText: "App booker" })).toContainText("write:bookings");

  // The same code again, still inside its 30 seconds: refused. Back to the password and the form is kept.
  await askForBooker("Replay booker");
  await confirmWithCode(authenticator.lastCode());
  await expect(dialog.getByText(wrongCode)).toBeVisible();
  await dialog.getByRole("button", { name: "Use your password" }).click();
  await expect(dialog.getByLabel("Password")).toBeFocused();
  await dialog.getByRole("button", { name: "Use authenticator app" }).click();
  // A recovery code confirms too, is spent, and says how many are left before the change goes on.
  await confirmWithCode(recoveryCodes[0] ?? "");
  await expect(dialog.getByRole("status")).toHaveText("Access confirmed with a recovery code, which cannot be used again. You have 9 recovery codes left.");
  await expect(dialog.getByRole("button", { name: "Continue" })).toBeFocused();
  await checkPage(page, testInfo, "sudo-prompt-recovery-code-left");
  await dialog.getByRole("button", { name: "Continue" }).click();
  await expect(dialog).toBeHidden();
  expect(await newTokenValue(page)).toMatch(/^mcp_/);
  await page.getByRole("button", { name: "Done" }).click();

  // Five wrong codes, then the account's limit: the prompt says when to try again; the form is still there.
  await askForBooker("Guessing booker");
  for (let attempt = 0; attempt < 5; attempt += 1) {
    await confirmWithCode(recoveryCodes[0] ?? "");
    await expect(dialog.getByText(wrongCode)).toBeVisible();
  }
  await confirmWithCode(await authenticator.freshCode());
  await expect(dialog.getByRole("alert")).toContainText("Too many codes tried for this account. Try again in 15 minutes.");
  await checkPage(page, testInfo, "sudo-prompt-too-many-codes");
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();
  await expect(page.getByLabel("Token name")).toHaveValue("Guessing booker");
  await expect(page.getByRole("checkbox", { name: "write:bookings", exact: true })).toBeChecked();
});
