import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import { expect, type Page } from "@playwright/test";
import { totpCodeAt, totpStep, TOTP_PERIOD_SECONDS } from "~/server/auth/totp";

/**
 * The authenticator app of an e2e person: computes codes from the key shown on /settings, as a phone would, and
 * remembers the last step it used, so each code it gives is one the server has not accepted yet.
 */
export class TestAuthenticator {
  private lastStep = -1;
  constructor(readonly key: Uint8Array) {}

  /** A code not used before: the current step's, else the next one's (one step of drift is accepted), else wait for it. */
  async freshCode(): Promise<string> {
    let step = Math.max(totpStep(new Date()), this.lastStep + 1);
    while (step > totpStep(new Date()) + 1) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      step = Math.max(totpStep(new Date()), this.lastStep + 1);
    }
    this.lastStep = step;
    return totpCodeAt(this.key, step);
  }

  /** The code most recently given: replaying it must fail. */
  lastCode(): string {
    return totpCodeAt(this.key, this.lastStep);
  }

  /** A code from this key that is certainly wrong now (five steps ahead, outside the drift the server allows). */
  wrongCode(): string {
    return totpCodeAt(this.key, totpStep(new Date()) + 5 + Math.ceil(60 / TOTP_PERIOD_SECONDS));
  }
}

/** On /settings, signed in: sets the authenticator app up and returns it with the ten recovery codes shown once. */
export async function setUpAuthenticatorApp(page: Page): Promise<{ authenticator: TestAuthenticator; recoveryCodes: string[] }> {
  await page.goto("/settings");
  const section = page.getByRole("region", { name: "Two-factor authentication" });
  await section.getByRole("button", { name: "Set up authenticator app" }).click();
  await expect(section.getByRole("img", { name: "QR image to scan with your authenticator app" })).toBeVisible();
  const setupKey = await section.getByLabel("Setup key").inputValue();
  const authenticator = new TestAuthenticator(decodeBase32IgnorePadding(setupKey.replaceAll(" ", "")));
  await section.getByLabel("Code").fill(await authenticator.freshCode());
  await section.getByRole("button", { name: "Enable" }).click();
  const codes = section.getByRole("group", { name: "Recovery codes" }).getByRole("listitem");
  await expect(codes).toHaveCount(10);
  const recoveryCodes = (await codes.allTextContents()).map((code) => code.trim());
  return { authenticator, recoveryCodes };
}

/** On /login/two-factor: types a code (or recovery code) and presses Verify. */
export async function verifySecondFactor(page: Page, code: string): Promise<void> {
  await page.getByLabel(/^(Code|Recovery code)$/).fill(code);
  await page.getByRole("button", { name: "Verify" }).click();
}

/** Signs in with the password and lands on the two-factor step. */
export async function signInToSecondStep(page: Page, credentials: { email: string; password: string }, from = "/login"): Promise<void> {
  if (!new URL(page.url(), "http://x").pathname.startsWith("/login")) await page.goto(from);
  await page.getByLabel("Email").fill(credentials.email);
  await page.getByLabel("Password").fill(credentials.password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Two-factor authentication", level: 1 })).toBeVisible();
  // The step's address carries `next` when sign-in was going elsewhere (kept for when the step expires).
  await expect(page).toHaveURL(/\/login\/two-factor(\?next=[^&]+)?$/);
}
