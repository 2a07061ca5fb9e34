import { expect, test } from "./test";
import { signIn, signUp } from "./helpers";
import { firstLink, mailTo } from "./mail";
import { checkPage } from "./page-check";

// Changing the email address from /settings (issue 22), with the e2e server's real SMTP catcher: the change waits
// for the link mailed to the new address, and the address left behind is told.

const FROM_THIS_BROWSER = /From: Chrome on \w+, IP address (127\.0\.0\.1|::1)\./;

function newAddress(): string {
  return `moved-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.test`;
}

test("the new address confirms the change by its link; the old one is told, and the link works once", async ({ page }, testInfo) => {
  const user = await signUp(page);
  const newEmail = newAddress();
  await page.goto("/settings");
  const section = page.getByRole("region", { name: "Email address" });
  await expect(section).toContainText(`Your email: ${user.email}`);
  await section.getByLabel("New email address").fill(newEmail);
  await section.getByRole("button", { name: "Change email" }).click();
  await expect(section.getByRole("status").filter({ hasText: `Check ${newEmail} for the link.` })).toBeVisible();
  const waiting = section.getByRole("group", { name: "Waiting for confirmation" });
  await expect(waiting).toContainText(`We mailed a link to ${newEmail}.`);
  await expect(section.getByLabel("New email address")).toHaveValue("");
  await checkPage(page, testInfo, "email-change-pending");
  // Still the old address until the link is opened.
  await page.reload();
  await expect(page.getByRole("region", { name: "Email address" })).toContainText(`Your email: ${user.email}`);
  await expect(page.getByRole("group", { name: "Waiting for confirmation" })).toContainText(newEmail);

  const linkMail = await mailTo(newEmail, "Confirm your new email for Carestral");
  const link = firstLink(linkMail);
  expect(link).toMatch(/\/confirm-email-change\?token=[a-z2-7]{32}$/);
  await page.goto(link);
  await expect(page.getByRole("heading", { name: "Confirm your new email", level: 1 })).toBeVisible();
  await checkPage(page, testInfo, "email-change-confirm");
  await page.getByRole("button", { name: "Confirm new email" }).click();
  await expect(page.getByRole("status")).toContainText(`Your email is now ${newEmail}.`);
  await checkPage(page, testInfo, "email-change-confirmed");

  const notice = await mailTo(user.email, "The email address of your Carestral account was changed");
  expect(notice.text).toContain(`changed from ${user.email} to ${newEmail}`);
  expect(notice.text).toMatch(/When: .+\./);
  expect(notice.text).toMatch(FROM_THIS_BROWSER);
  expect(notice.text).toContain("If this was not you");
  const settingsLink = firstLink(notice);
  expect(settingsLink).toMatch(/\/settings$/);
  await page.goto(settingsLink);
  const after = page.getByRole("region", { name: "Email address" });
  await expect(after).toContainText(`Your email: ${newEmail} (confirmed)`);
  await expect(page.getByRole("group", { name: "Waiting for confirmation" })).toHaveCount(0);

  // The link is spent.
  await page.goto(link);
  await page.getByRole("button", { name: "Confirm new email" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "This link is invalid, already used, cancelled or expired: your email was not changed." })).toBeVisible();
  await checkPage(page, testInfo, "email-change-link-spent");

  // The new address signs in (the link's page stands alone, without the dashboard's Sign out).
  await page.goto("/settings");
  await page.getByRole("banner").getByRole("button", { name: "Sign out" }).click();
  await signIn(page, { email: newEmail, password: user.password });
});

test("a pending change can be cancelled; bad input is answered by the field; a taken address gets the same answer as a free one", async ({ page, browser, baseURL }, testInfo) => {
  const elsewhere = await browser.newContext({ baseURL });
  const owner = await signUp(await elsewhere.newPage());
  await elsewhere.close();
  const user = await signUp(page);
  await page.goto("/settings");
  const section = page.getByRole("region", { name: "Email address" });
  const field = section.getByLabel("New email address");

  await field.fill("not an address");
  await section.getByRole("button", { name: "Change email" }).click();
  await expect(field).toBeFocused();
  await expect(field).toHaveAttribute("aria-invalid", "true");
  await checkPage(page, testInfo, "email-change-invalid");
  await field.fill(user.email.toUpperCase());
  await section.getByRole("button", { name: "Change email" }).click();
  await expect(section.getByText("That is already your email address.")).toBeVisible();

  // An address with an account: the same answer as for a free one (as sign-up gives); its owner is mailed instead.
  await field.fill(owner.email);
  await section.getByRole("button", { name: "Change email" }).click();
  await expect(section.getByRole("status").filter({ hasText: `Check ${owner.email} for the link.` })).toBeVisible();
  await expect(section.getByRole("group", { name: "Waiting for confirmation" })).toContainText(owner.email);
  const notice = await mailTo(owner.email, "Someone tried to move a Carestral account to your address");
  expect(notice.text).not.toContain("token=");

  await section.getByRole("button", { name: "Cancel change" }).click();
  await expect(section.getByRole("status").filter({ hasText: "Change cancelled: your email stays as it is." })).toBeVisible();
  await expect(section.getByRole("group", { name: "Waiting for confirmation" })).toHaveCount(0);
  await checkPage(page, testInfo, "email-change-cancelled");
  await page.reload();
  await expect(page.getByRole("group", { name: "Waiting for confirmation" })).toHaveCount(0);
});
