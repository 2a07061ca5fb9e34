import { expect, test } from "./test";
import { generateToken, signIn, signUp } from "./helpers";
import { firstLink, mailTo, mailCatcherPorts } from "./mail";
import { checkPage } from "./page-check";

// Security mail (issue 22), received by the e2e server's real SMTP catcher: each says what happened, when and from
// where, and its link opens the page to act on. (An app connected through the consent page: oauth.spec.ts.)

const FROM_THIS_BROWSER = /From: Chrome on \w+, IP address (127\.0\.0\.1|::1)\./;

// A browser away from the server's zone: a notice's time must be in the person's (kept from the browser on the
// first dashboard load), whatever zone the machine running the tests is in.
test.use({ timezoneId: "America/New_York" });

test("a new token is mailed to its owner, and the mail's link opens the token's page", async ({ page }, testInfo) => {
  const user = await signUp(page);
  // The dashboard has kept the browser's zone once it shows its times in it.
  await expect(page.getByText("Times are in your time zone, America/New_York.")).toBeVisible();
  await generateToken(page, "Mailed token");
  const mail = await mailTo(user.email, "A new token was created for your Carestral account");
  expect(mail.text).toContain('A personal access token named "Mailed token" was created for your Carestral account.');
  expect(mail.text).toContain("It may use: read:data, write:bookings.");
  expect(mail.text).toMatch(/When: .* \(America\/New_York\)\./);
  expect(mail.text).toMatch(FROM_THIS_BROWSER);
  expect(mail.text).toContain("If this was not you");

  const link = firstLink(mail);
  expect(link).toMatch(/\/dashboard\/tokens\/[0-9a-f-]{36}$/);
  await page.goto(link);
  await expect(page.getByRole("heading", { name: "Mailed token", level: 1 })).toBeVisible();
  await checkPage(page, testInfo, "token-page-from-mail");
});

test("a password change is mailed, with the way back in if it was not them", async ({ page }, testInfo) => {
  const user = await signUp(page);
  await page.goto("/settings");
  await page.getByLabel("Current password").fill(user.password);
  await page.getByLabel("New password").fill(`changed-${Date.now()}-password`);
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Password changed." })).toBeVisible();

  const mail = await mailTo(user.email, "Your Carestral password was changed");
  expect(mail.text).toMatch(FROM_THIS_BROWSER);
  expect(mail.text).toContain("If this was not you, someone has your password");
  await page.goto(firstLink(mail));
  await expect(page.getByRole("heading", { name: "Forgot password" })).toBeVisible();
  await checkPage(page, testInfo, "forgot-password-from-mail");
});

test("a sign-in from another browser is mailed once; the sign-in that ends sign-up is not", async ({ page, browser, baseURL }, testInfo) => {
  const user = await signUp(page);
  const elsewhere = await browser.newContext({ baseURL });
  try {
    const other = await elsewhere.newPage();
    await signIn(other, user);
    const mail = await mailTo(user.email, "New sign-in to your Carestral account");
    expect(mail.text).toContain("from a device or browser it has not been used from before");
    expect(mail.text).toMatch(FROM_THIS_BROWSER);

    // The link opens the sessions, where both browsers are listed.
    await other.goto(firstLink(mail));
    await expect(other.getByRole("heading", { name: "Sessions" })).toBeVisible();
    await expect(other.getByRole("button", { name: "Sign out everywhere else" })).toBeVisible();
    await checkPage(other, testInfo, "settings-from-new-sign-in-mail");

    const response = await fetch(`http://127.0.0.1:${mailCatcherPorts.http}/messages`);
    const messages = (await response.json()) as { to: string[]; subject: string }[];
    const newSignIns = messages.filter((message) => message.to.includes(user.email.toLowerCase()) && message.subject.startsWith("New sign-in"));
    expect(newSignIns).toHaveLength(1);
  } finally {
    await elsewhere.close();
  }
});
