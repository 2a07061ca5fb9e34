import { expect, test } from "./test";
import { signIn, signOut, signUp } from "./helpers";
import { linkFromMail } from "./mail";

test("sign up, sign out, a wrong password, and sign in again", async ({ page }) => {
  const user = await signUp(page);
  const header = page.getByRole("banner");
  await expect(header.getByRole("button", { name: "Sign out" })).toBeVisible();
  await expect(header).toContainText(user.email);
  await expect(header.getByRole("link", { name: "API tokens" })).toHaveAttribute("href", "/dashboard/tokens");
  await expect(header.getByRole("link", { name: "Bookings" })).toHaveAttribute("href", "/dashboard/bookings");

  await signOut(page);
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole("link", { name: "Sign in" })).toBeVisible();

  // A wrong password says so without saying which of the two fields was wrong.
  await page.goto("/login");
  await page.getByLabel("Email").fill(user.email);
  await page.getByLabel("Password").fill("not my password at all");
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page.getByRole("alert").filter({ hasText: "Wrong" })).toHaveText("Wrong email or password.");
  await expect(page).toHaveURL(/\/login$/);

  await signIn(page, user);
  await expect(page.getByRole("button", { name: "Sign out" })).toBeVisible();
});

test("a protected page sends a signed-out visitor to sign in, and back after", async ({ page }) => {
  const user = await signUp(page);
  await signOut(page);

  await page.goto("/dashboard/bookings");
  await expect(page).toHaveURL(/\/login\?next=%2Fdashboard%2Fbookings$/);
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
  await signIn(page, user, /\/dashboard\/bookings$/);
});

test("a stale session cookie is treated as signed out", async ({ page, context, baseURL }) => {
  await context.addCookies([{ name: "carestral_session", value: "notarealsessiontoken", url: baseURL ?? "http://localhost:3100" }]);
  await page.goto("/dashboard/tokens");
  await expect(page).toHaveURL(/\/login\?next=%2Fdashboard%2Ftokens$/);
});

test("sign-up errors appear next to their field", async ({ page }) => {
  const user = await signUp(page);
  await signOut(page);

  await page.goto("/signup");
  await page.getByLabel("Email").fill(user.email.toUpperCase());
  await page.getByLabel("First name").fill("Someone");
  await page.getByLabel("Surname").fill("Else");
  await page.getByLabel("Password").fill("another long password");
  await page.getByRole("button", { name: "Create account" }).click();
  // With mail configured, a taken address gets the very answer a free one gets; its owner is mailed instead.
  await expect(page.getByRole("heading", { name: "Check your email" })).toBeVisible();
  await expect(page.getByRole("status")).toContainText(user.email);
  expect(await linkFromMail(user.email, "Someone tried to create a Carestral account")).toMatch(/\/forgot-password$/);

  await page.goto("/signup");
  await page.getByLabel("Email").fill(`short-${Date.now()}@example.test`);
  await page.getByLabel("First name").fill("Someone");
  await page.getByLabel("Surname").fill("Else");
  await page.getByLabel("Password").fill("short");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByLabel("Password")).toHaveAccessibleDescription(/Use at least 10 characters\./);
  await expect(page).toHaveURL(/\/signup$/);
});
