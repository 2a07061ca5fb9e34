import { expect, test, type Page } from "./test";
import { addVirtualAuthenticator, signOut, signUp } from "./helpers";
import { linkFromMail } from "./mail";
import { checkPage } from "./page-check";
import { signInToSecondStep, verifySecondFactor } from "./two-factor";

// Issue 22: a passkey as the second step after the password (Chromium's virtual authenticator, the DevTools
// protocol's WebAuthn domain), the recovery codes it brings, and the one Two-factor section on /settings. Both
// widths, axe on every state (playwright.config.ts).

function twoFactorSection(page: Page) {
  return page.getByRole("region", { name: "Two-factor authentication" });
}

/** On /settings: adds the account's first passkey and returns the ten recovery codes it brings, shown once. */
async function addFirstPasskey(page: Page, name: string): Promise<string[]> {
  await page.goto("/settings");
  const section = twoFactorSection(page);
  await expect(section.getByRole("heading", { name: "Passkeys", level: 3 })).toBeVisible();
  await section.getByLabel("Passkey name").fill(name);
  await section.getByRole("button", { name: "Add passkey" }).click();
  await expect(section.getByRole("status").filter({ hasText: `Added “${name}”` })).toBeVisible();
  const codes = section.getByRole("group", { name: "Recovery codes" }).getByRole("listitem");
  await expect(codes).toHaveCount(10);
  await expect(section.getByRole("heading", { name: "Recovery codes", level: 3 })).toBeFocused();
  return (await codes.allTextContents()).map((code) => code.trim());
}

test("a passkey after the password: added from the Two-factor section with recovery codes, then password + passkey signs in", async ({ page }, testInfo) => {
  await addVirtualAuthenticator(page);
  const user = await signUp(page);
  const recoveryCodes = await addFirstPasskey(page, "Work laptop");
  expect(new Set(recoveryCodes).size).toBe(10);
  const section = twoFactorSection(page);
  await expect(section.getByText("they will not be shown again")).toBeVisible();
  await checkPage(page, testInfo, "settings-passkey-recovery-codes");
  await section.getByRole("button", { name: "Done" }).click();
  await expect(section.getByText("Recovery codes: 10 of 10 left.")).toBeVisible();
  await expect(section.getByRole("button", { name: "Set up authenticator app" })).toBeVisible();
  await checkPage(page, testInfo, "settings-two-factor-passkey-on");
  expect(await linkFromMail(user.email, "A second factor was added to your Carestral account")).toMatch(/\/settings$/);

  // The password alone no longer signs in: the step offers the passkey (no code box: there is no app), and a
  // recovery code.
  await signOut(page);
  await signInToSecondStep(page, user);
  await expect(page.getByLabel("Code", { exact: true })).toHaveCount(0);
  await expect(page.getByRole("link", { name: "Use a recovery code" })).toBeVisible();
  const usePasskey = page.getByRole("button", { name: "Use a passkey" });
  await expect(usePasskey).toBeFocused();
  await checkPage(page, testInfo, "two-factor-step-passkey");
  // Straight to the dashboard instead: still signed out.
  await page.goto("/dashboard/tokens");
  await expect(page).toHaveURL(/\/login\?next=%2Fdashboard%2Ftokens$/);
  await page.goto("/login/two-factor");
  await page.getByRole("button", { name: "Use a passkey" }).click();
  await expect(page).toHaveURL(/\/dashboard\/tokens$/);
  await page.goto("/settings");
  await expect(page.getByRole("list", { name: "Sessions" }).getByRole("listitem").filter({ hasText: "This device" })).toContainText("with password + passkey");
});

test("a passkey-only account whose device is lost signs in with a recovery code; removing the last passkey turns two-factor off", async ({ page }, testInfo) => {
  const laptop = await addVirtualAuthenticator(page);
  const user = await signUp(page);
  const recoveryCodes = await addFirstPasskey(page, "Lost laptop");
  await twoFactorSection(page).getByRole("button", { name: "Done" }).click();
  await signOut(page);
  await laptop.cdp.send("WebAuthn.removeVirtualAuthenticator", { authenticatorId: laptop.authenticatorId });

  await signInToSecondStep(page, user);
  await page.getByRole("link", { name: "Use a recovery code" }).click();
  await expect(page.getByLabel("Recovery code")).toBeFocused();
  await expect(page.getByRole("link", { name: "Use a passkey" })).toBeVisible();
  await checkPage(page, testInfo, "two-factor-recovery-code-passkey-only");
  await verifySecondFactor(page, recoveryCodes[3] ?? "");
  await expect(page.getByRole("status")).toHaveText("Signed in with a recovery code. You have 9 recovery codes left.");
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(page).toHaveURL(/\/dashboard\/tokens$/);

  // The lost passkey removed (sudo mode: just signed in), the codes go with it and the password alone signs in.
  await page.goto("/settings");
  const section = twoFactorSection(page);
  await expect(section.getByText("Recovery codes: 9 of 10 left.")).toBeVisible();
  await section.getByRole("list", { name: "Passkeys" }).getByRole("button", { name: "Remove" }).click();
  await page.getByRole("dialog", { name: "Remove passkey “Lost laptop”?" }).getByRole("button", { name: "Remove passkey" }).click();
  await expect(section.getByRole("status").filter({ hasText: "last second factor" })).toBeVisible();
  await expect(section.getByText(/Recovery codes: \d+ of 10 left/)).toHaveCount(0);
  await checkPage(page, testInfo, "settings-two-factor-off");
  await linkFromMail(user.email, "Two-factor authentication was turned off for your Carestral account");
  await signOut(page);
  await page.goto("/login");
  await page.getByLabel("Email").fill(user.email);
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).toHaveURL(/\/dashboard\/tokens$/);
});

test("an expired two-factor step's Sign in again keeps where sign-in was going, and only a path on this site", async ({ page }) => {
  await page.goto(`/login/two-factor?next=${encodeURIComponent("/oauth/authorize?client_id=x&state=y")}`);
  await expect(page.getByText("This sign-in has expired or was already completed.")).toBeVisible();
  await expect(page.getByRole("link", { name: "Sign in again" })).toHaveAttribute("href", `/login?next=${encodeURIComponent("/oauth/authorize?client_id=x&state=y")}`);
  await page.goto(`/login/two-factor?next=${encodeURIComponent("//evil.example/oauth/authorize")}`);
  await expect(page.getByRole("link", { name: "Sign in again" })).toHaveAttribute("href", "/login");
});
