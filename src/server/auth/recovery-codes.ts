import { encodeBase32LowerCaseNoPadding } from "@oslojs/encoding";
import { sha256Hex } from "~/server/hash";

// Recovery codes: the way in when the authenticator app is lost. Ten per set, each used once; 80 random bits
// apiece, so SHA-256 is enough to store them (nobody can search 2^80 codes), like session tokens.

export const RECOVERY_CODE_COUNT = 10;
const CODE_BYTES = 10;

/** A new code, shown as four groups of four base32 characters ("abcd-efgh-ijkl-mnop"). */
export function generateRecoveryCode(): string {
  const bytes = new Uint8Array(CODE_BYTES);
  crypto.getRandomValues(bytes);
  return encodeBase32LowerCaseNoPadding(bytes).replace(/(.{4})(?=.)/g, "$1-");
}

/** What a person typed, as stored: case, spaces and dashes do not matter. */
export function normalizeRecoveryCode(input: string): string {
  return input.toLowerCase().replace(/[\s-]/g, "");
}

export function hashRecoveryCode(code: string): string {
  return sha256Hex(normalizeRecoveryCode(code));
}

/** Whether the input can be a recovery code at all (16 base32 characters once normalized). */
export function looksLikeRecoveryCode(input: string): boolean {
  return /^[a-z2-7]{16}$/.test(normalizeRecoveryCode(input));
}
