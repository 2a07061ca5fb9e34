import { expect, test, type Page } from "./test";
import { fillSignUpForm, generateToken, newUser, signIn, signOut, signUp } from "./helpers";
import { linkFromMail } from "./mail";
import { checkPage } from "./page-check";

// Every test runs at 1280×800 and 390×844 (playwright.config.ts); checkPage runs axe, checks that nothing
// (dialogs included) scrolls sideways, and writes a screenshot.

/** Whether /api/mcp still takes this bearer token. */
async function tokenWorks(page: Page, token: string): Promise<boolean> {
  const response = await page.request.post("/api/mcp", {
    headers: { authorization: `Bearer ${token}`, accept: "application/json, text/event-stream", "content-type": "application/json" },
    data: { jsonrpc: "2.0", id: 1, method: "ping" },
    failOnStatusCode: false,
  });
  return response.status() !== 401;
}

test("forgot password: the mailed link sets a new password, revokes every token, then sign in with it", async ({ page }, testInfo) => {
  const user = await signUp(page);
  const token = await generateToken(page, "Made before the reset");
  expect(await tokenWorks(page, token)).toBe(true);
  await signOut(page);

  await page.goto("/login");
  await page.getByRole("link", { name: "Forgot password?" }).click();
  await expect(page.getByRole("heading", { name: "Forgot password" })).toBeVisible();
  await checkPage(page, testInfo, "forgot-password");
  await page.getByLabel("Email").fill(user.email);
  await page.getByRole("button", { name: "Send reset link" }).click();
  await expect(page.getByRole("status")).toContainText("If an account uses this email");
  await checkPage(page, testInfo, "forgot-password-sent");

  const link = await linkFromMail(user.email, "Reset your Carestral password");
  await page.goto(link);
  await expect(page.getByRole("heading", { name: "Choose a new password" })).toBeVisible();
  await checkPage(page, testInfo, "reset-password");
  await page.getByLabel("New password").fill("short");
  await page.getByRole("button", { name: "Set new password" }).click();
  await expect(page.getByLabel("New password")).toHaveAccessibleDescription(/Use at least 10 characters\./);
  await checkPage(page, testInfo, "reset-password-errors");

  const newPassword = `reset-${Date.now()}-password`;
  await page.getByLabel("New password").fill(newPassword);
  await page.getByRole("button", { name: "Set new password" }).click();
  // Issue 19 item 2: a reset through the mailed link proves the mailbox, so nothing given out before survives it.
  await expect(page.getByRole("status")).toContainText("Your password is changed. 0 sessions signed out; 1 API token and 0 connected apps revoked.");
  await checkPage(page, testInfo, "reset-password-done");
  expect(await tokenWorks(page, token)).toBe(false);
  await page.getByRole("link", { name: "Sign in" }).click();

  // The old password no longer works; the new one does.
  await page.getByLabel("Email").fill(user.email);
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page.getByRole("alert").filter({ hasText: "Wrong" })).toHaveText("Wrong email or password.");
  await signIn(page, { email: user.email, password: newPassword });

  // The link worked once.
  await page.goto(link);
  await expect(page.getByRole("alert").filter({ hasText: "reset link" })).toContainText("This reset link is invalid");
  await checkPage(page, testInfo, "reset-password-used-link");
});

test("sign-up with mail: check your email, no sign-in before the link, and the link signs in (issue 19 item 2)", async ({ page }, testInfo) => {
  const user = newUser();
  await page.goto("/signup");
  await fillSignUpForm(page, user);
  await expect(page.getByRole("heading", { name: "Check your email" })).toBeVisible();
  await expect(page.getByRole("status")).toContainText(`We sent a link to ${user.email}`);
  await checkPage(page, testInfo, "signup-check-email");

  // The password is right, but the address is not confirmed yet.
  await page.goto("/login");
  await page.getByLabel("Email").fill(user.email);
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page.getByRole("alert").filter({ hasText: "Confirm your email first" })).toBeVisible();
  await checkPage(page, testInfo, "login-awaiting-confirmation");

  const link = await linkFromMail(user.email, "Confirm your email to finish");
  await page.goto(link);
  await checkPage(page, testInfo, "verify-email");
  await page.getByRole("button", { name: "Verify email" }).click();
  await expect(page).toHaveURL(/\/dashboard\/tokens$/);
  await expect(page.getByRole("heading", { name: "API tokens" })).toBeVisible();
  // Confirmed: no banner asking for it.
  await expect(page.getByRole("complementary", { name: "Email verification" })).toHaveCount(0);
  await signOut(page);
  await signIn(page, user);

  // The link worked once.
  await page.goto(link);
  await page.getByRole("button", { name: "Verify email" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "verification link" })).toContainText("This verification link is invalid");
});

test("settings: change the name, see this session, and delete the account with the password", async ({ page }, testInfo) => {
  const user = await signUp(page);
  await page.getByRole("banner").getByRole("link", { name: "Settings" }).click();
  await expect(page.getByRole("heading", { name: "Account", level: 1 })).toBeVisible();
  await checkPage(page, testInfo, "settings");

  await page.getByLabel("First name").fill("Grace");
  await page.getByRole("button", { name: "Save name" }).click();
  await expect(page.getByRole("banner")).toContainText("Grace Lovelace");

  const sessions = page.getByRole("list", { name: "Sessions" });
  await expect(sessions.getByRole("listitem")).toHaveCount(1);
  await expect(sessions.getByRole("listitem")).toContainText("This device");
  await expect(page.getByRole("button", { name: "Sign out everywhere else" })).toBeDisabled();

  // Sign out everywhere else can end every token and connection as well, and says what it did.
  await page.goto("/dashboard/tokens");
  const token = await generateToken(page, "Revoked from settings");
  await page.goto("/settings");
  const sessionsSection = page.getByRole("region", { name: "Sessions" });
  await sessionsSection.getByRole("checkbox", { name: "Also revoke every API token and connected app" }).check();
  await checkPage(page, testInfo, "settings-revoke-access-chosen");
  await sessionsSection.getByRole("button", { name: "Sign out everywhere else" }).click();
  await expect(sessionsSection.getByRole("status")).toHaveText("0 other sessions signed out; 1 API token and 0 connected apps revoked.");
  expect(await tokenWorks(page, token)).toBe(false);
  await expect(page.getByRole("link", { name: "Export my data" })).toHaveAttribute("href", "/api/account/export");

  await page.getByRole("button", { name: "Delete account" }).click();
  const dialog = page.getByRole("dialog", { name: "Delete your account?" });
  await expect(dialog.getByRole("button", { name: "Cancel" })).toBeFocused();
  await checkPage(page, testInfo, "settings-delete-account-dialog");
  await dialog.getByLabel("Password").fill("not my password at all");
  await dialog.getByRole("button", { name: "Delete my account" }).click();
  await expect(dialog.getByLabel("Password")).toHaveAccessibleDescription("That is not your current password.");
  await checkPage(page, testInfo, "settings-delete-account-wrong-password");
  await dialog.getByLabel("Password").fill(user.password);
  await dialog.getByRole("button", { name: "Delete my account" }).click();
  // The home page says what happened (issue 20, item 12).
  await expect(page).toHaveURL(/\/\?deleted=1$/);
  await expect(page.getByRole("status")).toContainText("Your account has been deleted");
  await checkPage(page, testInfo, "home-account-deleted");

  await page.goto("/login");
  await page.getByLabel("Email").fill(user.email);
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page.getByRole("alert").filter({ hasText: "Wrong" })).toHaveText("Wrong email or password.");
});

test("account pages opened with a made-up link pass axe and fit the screen", async ({ page }, testInfo) => {
  for (const [path, state] of [
    ["/reset-password?token=nothing", "reset-password-made-up-link"],
    ["/verify-email?token=nothing", "verify-email-made-up-link"],
  ] as const) {
    await page.goto(path);
    await checkPage(page, testInfo, state);
  }
});
