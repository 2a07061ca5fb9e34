import { encodeBase32UpperCaseNoPadding } from "@oslojs/encoding";
import { createTOTPKeyURI, generateHOTP, verifyHOTP } from "@oslojs/otp";

// TOTP as RFC 6238 describes it and every authenticator app expects: HMAC-SHA-1, 30-second steps, 6 digits, a
// 160-bit key (RFC 4226 §4 recommends at least that). The pure part: no clock, no database.

export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;
const KEY_BYTES = 20;
/** Steps accepted either side of the current one: one, for a phone's clock a little off (RFC 6238 §5.2). */
const DRIFT_STEPS = 1;

export function generateTotpKey(): Uint8Array {
  const key = new Uint8Array(KEY_BYTES);
  crypto.getRandomValues(key);
  return key;
}

/** The time step `at` falls in (RFC 6238 §4.2). */
export function totpStep(at: Date): number {
  return Math.floor(at.getTime() / 1000 / TOTP_PERIOD_SECONDS);
}

export function totpCodeAt(key: Uint8Array, step: number): string {
  return generateHOTP(key, BigInt(step), TOTP_DIGITS);
}

/**
 * The step whose code `code` is, among the current step and one either side, skipping any step at or before
 * `lastUsedStep` (a code, or an older one, already accepted); null when none. Compared in constant time.
 */
export function matchTotpStep(key: Uint8Array, code: string, at: Date, lastUsedStep: number | null): number | null {
  if (!new RegExp(`^\\d{${TOTP_DIGITS}}$`).test(code)) return null;
  const current = totpStep(at);
  for (let step = current - DRIFT_STEPS; step <= current + DRIFT_STEPS; step++) {
    if (lastUsedStep !== null && step <= lastUsedStep) continue;
    if (verifyHOTP(key, BigInt(step), TOTP_DIGITS, code)) return step;
  }
  return null;
}

/** The otpauth:// URI the QR code carries (Google Authenticator's Key Uri Format, which every app reads). */
export function totpKeyUri(key: Uint8Array, accountName: string, issuer = "Carestral"): string {
  return createTOTPKeyURI(issuer, accountName, key, TOTP_PERIOD_SECONDS, TOTP_DIGITS);
}

/** The key as people type it into an app: base32 in groups of four ("ABCD EFGH …"). */
export function formatSetupKey(key: Uint8Array): string {
  return encodeBase32UpperCaseNoPadding(key).replace(/(.{4})(?=.)/g, "$1 ");
}

/** What a person typed as a code: spaces and dashes some apps show are dropped. */
export function normalizeTotpCode(input: string): string {
  return input.replace(/[\s-]/g, "");
}
