import { expect, test } from "./test";
import { signIn, signOut, signUp } from "./helpers";
import { linkFromMail } from "./mail";
import { checkPage } from "./page-check";
import { setUpAuthenticatorApp, signInToSecondStep, verifySecondFactor } from "./two-factor";

// Issue 22: an authenticator app (TOTP) with codes computed here as a phone would, recovery codes, and the
// two-factor step of signing in, with the hostile cases. Both widths, axe on every state (playwright.config.ts).

test("set up an authenticator app, then sign in with password + code", async ({ page }, testInfo) => {
  const user = await signUp(page);
  await page.goto("/settings");
  const section = page.getByRole("region", { name: "Two-factor authentication" });
  await section.getByRole("button", { name: "Set up authenticator app" }).click();
  await expect(section.getByRole("img", { name: "QR image to scan with your authenticator app" })).toBeVisible();
  await expect(section.getByLabel("Setup key")).toHaveValue(/^([A-Z2-7]{4} ){7}[A-Z2-7]{4}$/);
  await checkPage(page, testInfo, "two-factor-setup");
  // A wrong first code leaves it off and says so next to the field.
  await section.getByLabel("Code").fill("12345");
  await section.getByRole("button", { name: "Enable" }).click();
  await expect(section.getByLabel("Code")).toHaveAccessibleDescription(/not right/);
  await expect(section.getByLabel("Code")).toBeFocused();
  await section.getByRole("button", { name: "Cancel" }).click();

  const { authenticator } = await setUpAuthenticatorApp(page);
  await expect(page.getByRole("status").filter({ hasText: "Authenticator app on." })).toBeVisible();
  await expect(section.getByText("they will not be shown again")).toBeVisible();
  await checkPage(page, testInfo, "two-factor-recovery-codes");
  await section.getByRole("button", { name: "Done" }).click();
  await expect(section.getByText("Authenticator app: on")).toBeVisible();
  await expect(section.getByText("Recovery codes: 10 of 10 left.")).toBeVisible();
  await checkPage(page, testInfo, "two-factor-on");
  // Its owner is told by mail, with the way to the settings where it can be removed.
  expect(await linkFromMail(user.email, "A second factor was added to your Carestral account")).toMatch(/\/settings$/);

  await signOut(page);
  await signInToSecondStep(page, user);
  await checkPage(page, testInfo, "two-factor-step");
  await verifySecondFactor(page, await authenticator.freshCode());
  await expect(page).toHaveURL(/\/dashboard\/tokens$/);
  await page.goto("/settings");
  const sessions = page.getByRole("list", { name: "Sessions" });
  await expect(sessions.getByRole("listitem").filter({ hasText: "This device" })).toContainText("with password + authenticator app");
});

test("sign in with a recovery code, which says how many are left; turning the app off needs a confirmation and mails", async ({ page }, testInfo) => {
  const user = await signUp(page);
  const { recoveryCodes } = await setUpAuthenticatorApp(page);
  const section = page.getByRole("region", { name: "Two-factor authentication" });
  await section.getByRole("button", { name: "Done" }).click();
  await signOut(page);
  await signInToSecondStep(page, user);
  await page.getByRole("link", { name: "Use a recovery code" }).click();
  await expect(page.getByLabel("Recovery code")).toBeFocused();
  await checkPage(page, testInfo, "two-factor-recovery-code");
  await verifySecondFactor(page, recoveryCodes[0] ?? "");
  await expect(page.getByRole("status")).toHaveText("Signed in with a recovery code. You have 9 recovery codes left.");
  await checkPage(page, testInfo, "two-factor-recovery-code-used");
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(page).toHaveURL(/\/dashboard\/tokens$/);
  await page.goto("/settings");
  await expect(page.getByText("Recovery codes: 9 of 10 left.")).toBeVisible();
  await expect(page.getByRole("list", { name: "Sessions" }).getByRole("listitem").filter({ hasText: "This device" })).toContainText(
    "with password + recovery code",
  );

  // Turning it off asks first, starting on Cancel; then the password alone signs in again.
  await section.getByRole("button", { name: "Turn off authenticator app" }).click();
  const dialog = page.getByRole("dialog", { name: "Turn off the authenticator app?" });
  await expect(dialog.getByRole("button", { name: "Cancel" })).toBeFocused();
  await checkPage(page, testInfo, "two-factor-turn-off-dialog");
  await dialog.getByRole("button", { name: "Turn off", exact: true }).click();
  await expect(page.getByRole("status").filter({ hasText: "Authenticator app turned off." })).toBeVisible();
  await expect(section.getByRole("button", { name: "Set up authenticator app" })).toBeVisible();
  await linkFromMail(user.email, "Two-factor authentication was turned off for your Carestral account");
  await signOut(page);
  await signIn(page, user);
});

test("hostile: skipping the step, a recovery code used twice, a replayed code, another account's code, too many attempts", async ({ page, browser, baseURL }) => {
  const other = await browser.newContext({ baseURL });
  const otherPage = await other.newPage();
  await signUp(otherPage);
  const { authenticator: othersApp } = await setUpAuthenticatorApp(otherPage);
  await other.close();

  const user = await signUp(page);
  const { authenticator, recoveryCodes } = await setUpAuthenticatorApp(page);
  await signOut(page);

  // The password alone is no session: straight to the dashboard from the two-factor step is a sign-in page.
  await signInToSecondStep(page, user);
  await page.goto("/dashboard/tokens");
  await expect(page).toHaveURL(/\/login\?next=%2Fdashboard%2Ftokens$/);
  await expect(page.getByRole("heading", { name: "Sign in", level: 1 })).toBeVisible();
  expect((await page.context().cookies()).map((cookie) => cookie.name)).not.toContain("carestral_session");

  // A recovery code works once.
  await page.goto("/login/two-factor?with=recovery-code");
  await verifySecondFactor(page, recoveryCodes[0] ?? "");
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(page).toHaveURL(/\/dashboard\/tokens$/);
  await signOut(page);
  await signInToSecondStep(page, user);
  await page.getByRole("link", { name: "Use a recovery code" }).click();
  await expect(page.getByLabel("Recovery code")).toBeFocused();
  await verifySecondFactor(page, recoveryCodes[0] ?? "");
  await expect(page.getByLabel("Recovery code")).toHaveAccessibleDescription(/not right, or was already used/);

  // A code works once: the one that just signed in, typed again, is refused.
  await page.getByRole("link", { name: "Use your authenticator app" }).click();
  await expect(page.getByLabel("Code", { exact: true })).toBeFocused();
  await verifySecondFactor(page, await authenticator.freshCode());
  await expect(page).toHaveURL(/\/dashboard\/tokens$/);
  await signOut(page);
  await signInToSecondStep(page, user);
  await verifySecondFactor(page, authenticator.lastCode());
  await expect(page.getByLabel("Code")).toHaveAccessibleDescription(/not right, or was already used/);

  // Another account's key gives codes that are not this account's. (Failures so far since the last success: 1.)
  await verifySecondFactor(page, await othersApp.freshCode());
  await expect(page.getByLabel("Code")).toHaveAccessibleDescription(/not right/);
  for (let attempt = 3; attempt <= 5; attempt++) {
    await verifySecondFactor(page, authenticator.wrongCode());
    await expect(page.getByLabel("Code")).toHaveAccessibleDescription(/not right/);
  }
  // Five wrong codes in 15 minutes: even an unused recovery code is refused now, with how long to wait.
  await page.getByRole("link", { name: "Use a recovery code" }).click();
  await expect(page.getByLabel("Recovery code")).toBeFocused();
  await verifySecondFactor(page, recoveryCodes[1] ?? "");
  await expect(page.getByRole("alert").filter({ hasText: "Too many" })).toContainText(/Too many codes tried for this account\. Try again in 1[45] minutes\./);
  await page.goto("/dashboard/tokens");
  await expect(page).toHaveURL(/\/login\?next=/);
});
