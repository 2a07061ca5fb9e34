import { spawn, type ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";
import { expect, test } from "./test";
import { signUp } from "./helpers";
import { checkPage } from "./page-check";

// Issue 20 item 11: a production server with no SMTP_URL. Its own server (the suite's has a mail catcher), from the
// same build, on its own port and PGlite folder.

const port = Number(process.env.E2E_PORT ?? 3100) + 40;
const base = `http://localhost:${port}`;
const dataDir = ".data/e2e-no-mail";
let server: ChildProcess | undefined;

test.use({ baseURL: base });
test.describe.configure({ timeout: 120_000 });

test.beforeAll(async () => {
  rmSync(dataDir, { recursive: true, force: true });
  // No SMTP_URL at all: production without mail.
  const { SMTP_URL: _smtp, ...inherited } = process.env;
  const env: NodeJS.ProcessEnv = { ...inherited, NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1", NEXT_DIST_DIR: ".next-test", PORT: String(port), APP_URL: base, PGLITE_DIR: dataDir, DATABASE_URL: "", AUTH_RATE_LIMIT_PER_MINUTE: "1000" };
  server = spawn("node", ["server.mjs"], { env, stdio: "ignore" });
  await expect(async () => {
    const health = await fetch(`${base}/api/health`);
    expect(health.ok).toBe(true);
  }).toPass({ timeout: 90_000 });
});

test.afterAll(() => {
  server?.kill();
});

test("without mail: the banner names SMTP_URL and the operator command, and can be dismissed for the session", async ({ page }, testInfo) => {
  const user = await signUp(page);
  const banner = page.getByRole("complementary", { name: "Email verification" });
  await expect(banner).toContainText("SMTP_URL");
  await expect(banner).toContainText(`npm run account -- verify-email ${user.email}`);
  await checkPage(page, testInfo, "no-mail-banner");
  await banner.getByRole("button", { name: "Dismiss the email verification notice" }).click();
  await expect(banner).toHaveCount(0);
  await page.reload();
  await expect(page.getByRole("heading", { name: "API tokens", level: 1 })).toBeVisible();
  await expect(banner).toHaveCount(0);

  // A new browser session shows it again.
  const fresh = await page.context().browser()?.newContext({ baseURL: base });
  const other = await fresh?.newPage();
  if (!other) throw new Error("no second browser context");
  await other.goto("/login");
  await other.getByLabel("Email").fill(user.email);
  await other.getByLabel("Password").fill(user.password);
  await other.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(other.getByRole("complementary", { name: "Email verification" })).toContainText("SMTP_URL");
  await fresh?.close();

  await page.getByRole("button", { name: "Sign out" }).click();
  await page.goto("/forgot-password");
  const alert = page.getByRole("alert").filter({ hasText: "Password reset by email is unavailable" });
  await expect(alert).toContainText("SMTP_URL");
  await expect(alert).toContainText("npm run account -- reset-password <your email>");
  await checkPage(page, testInfo, "no-mail-forgot-password");
});
