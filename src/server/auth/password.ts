import { hash, verify, type Options } from "@node-rs/argon2";

// OWASP Password Storage Cheat Sheet, argon2id: m=19 MiB, t=2, p=1.
const ARGON2_OPTIONS: Options = {
  algorithm: 2, // Algorithm.Argon2id: a const enum, which isolatedModules cannot read from a .d.ts.
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
};

export const PASSWORD_MIN_LENGTH = 10;
/** Long inputs cost argon2 time and memory; nobody types more than this. */
export const PASSWORD_MAX_LENGTH = 256;

export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2_OPTIONS);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    // A malformed stored hash is a failed check, not a crash.
    return false;
  }
}

let dummyHash: Promise<string> | undefined;

/**
 * Verifies against a throwaway hash so that an unknown email costs as much time as a wrong password:
 * response timing must not tell which accounts exist.
 */
export async function verifyAgainstDummyHash(password: string): Promise<void> {
  dummyHash ??= hashPassword("carestral-dummy-password-for-timing");
  await verifyPassword(await dummyHash, password);
}
