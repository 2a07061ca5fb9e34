import { expect, type CDPSession, type Page } from "@playwright/test";
import { linkFromMail } from "./mail";

export interface E2EUser {
  email: string;
  password: string;
  firstname: string;
  surname: string;
}

let counter = 0;

function uniqueUser(overrides: Partial<E2EUser>): E2EUser {
  counter += 1;
  const unique = `${Date.now()}-${counter}-${Math.random().toString(36).slice(2, 8)}`;
  return {
    email: `e2e-${unique}@example.test`,
    password: `pw-${unique}`,
    firstname: "Ada",
    surname: "Lovelace",
    ...overrides,
  };
}

/**
 * Signs a new, unique user up through /signup and waits for the dashboard. With mail (the e2e server has
 * SMTP_URL) it confirms the address from the mail first; a server without SMTP_URL signs in at once.
 */
export async function signUp(page: Page, overrides: Partial<E2EUser> = {}): Promise<E2EUser> {
  const user = uniqueUser(overrides);
  await page.goto("/signup");
  await fillSignUpForm(page, user);
  const checkEmail = page.getByRole("heading", { name: "Check your email" });
  await expect(checkEmail.or(page.getByRole("heading", { name: "API tokens", level: 1 }))).toBeVisible();
  if (await checkEmail.isVisible()) await confirmSignUp(page, user.email);
  await expect(page).toHaveURL(/\/dashboard\/tokens$/);
  return user;
}

/** Fills /signup (already open) with `user` and presses Create account. */
export async function fillSignUpForm(page: Page, user: E2EUser): Promise<void> {
  await page.getByLabel("Email").fill(user.email);
  await page.getByLabel("First name").fill(user.firstname);
  await page.getByLabel("Surname").fill(user.surname);
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Create account" }).click();
}

/**
 * After Create account: the e2e server sends mail (SMTP_URL), so sign-up answers "Check your email"; follows the
 * mailed link and confirms, which signs the person in and goes on to where sign-up was headed (its `next`).
 */
export async function confirmSignUp(page: Page, email: string): Promise<void> {
  await expect(page.getByRole("heading", { name: "Check your email" })).toBeVisible();
  await page.goto(await linkFromMail(email, "Confirm your email to finish"));
  await page.getByRole("button", { name: "Verify email" }).click();
  await expect(page).not.toHaveURL(/\/verify-email/);
}

/** A new, unique person's details, not signed up yet. */
export function newUser(overrides: Partial<E2EUser> = {}): E2EUser {
  return uniqueUser(overrides);
}

/** Signs in through /login and waits for the dashboard (or `expectedPath`, e.g. after a redirect). */
export async function signIn(
  page: Page,
  credentials: { email: string; password: string },
  expectedPath: string | RegExp = /\/dashboard\/tokens$/,
): Promise<void> {
  if (!new URL(page.url(), "http://x").pathname.startsWith("/login")) await page.goto("/login");
  await page.getByLabel("Email").fill(credentials.email);
  await page.getByLabel("Password").fill(credentials.password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).toHaveURL(expectedPath);
}

/** Signs out with the header's Sign out button (also on /settings, whose Sessions have theirs) and waits to leave the dashboard. */
export async function signOut(page: Page): Promise<void> {
  await page.getByRole("banner").getByRole("button", { name: "Sign out", exact: true }).click();
  await expect(page).not.toHaveURL(/\/dashboard/);
}

/** Opens the New token form on /dashboard/tokens unless it is already open. */
export async function openNewTokenForm(page: Page): Promise<void> {
  if (await page.getByLabel("Token name").isVisible()) return;
  await page.getByRole("button", { name: "New token" }).click();
  await expect(page.getByLabel("Token name")).toBeFocused();
}

/** The plaintext in the one-time panel, once the panel is there. */
export async function newTokenValue(page: Page): Promise<string> {
  const group = page.getByRole("group", { name: "New token", exact: true });
  await expect(group).toBeVisible();
  return (await group.textContent()) ?? "";
}

/** Generates a token with both scopes on /dashboard/tokens and returns the plaintext shown once. */
export async function generateToken(page: Page, name: string): Promise<string> {
  await openNewTokenForm(page);
  await page.getByLabel("Token name").fill(name);
  await page.getByRole("checkbox", { name: "read:data", exact: true }).setChecked(true);
  await page.getByRole("checkbox", { name: "write:bookings", exact: true }).setChecked(true);
  await page.getByRole("button", { name: "Generate token" }).click();
  const token = await newTokenValue(page);
  expect(token).toMatch(/^mcp_[0-9A-Za-z]{49}$/);
  await page.getByRole("button", { name: "Done" }).click();
  return token;
}

export interface VirtualAuthenticator {
  cdp: CDPSession;
  authenticatorId: string;
}

/**
 * Chromium's virtual authenticator (the DevTools protocol's WebAuthn domain): a platform authenticator that keeps
 * discoverable credentials and verifies its user, presence simulated, so no prompt waits for a touch.
 */
export async function addVirtualAuthenticator(page: Page, cdp?: CDPSession): Promise<VirtualAuthenticator> {
  const session = cdp ?? (await page.context().newCDPSession(page));
  await session.send("WebAuthn.enable");
  const { authenticatorId } = await session.send("WebAuthn.addVirtualAuthenticator", {
    options: { protocol: "ctap2", transport: "internal", hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  return { cdp: session, authenticatorId };
}
