import { hash, verify, type Options } from "@node-rs/argon2";
import { dictionary } from "@zxcvbn-ts/language-common";

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

// ---- which passwords we refuse ---------------------------------------------------------------------

let commonPasswords: Set<string> | undefined;

/**
 * zxcvbn-ts's list of the ~50 000 most common passwords from breach corpora, lower-cased. Only those
 * long enough to pass the length rule matter.
 */
function commonPasswordSet(): Set<string> {
  commonPasswords ??= new Set(
    dictionary["passwords-common"].filter((password) => password.length >= PASSWORD_MIN_LENGTH).map((password) => password.toLowerCase()),
  );
  return commonPasswords;
}

/** Why a new password is refused, in words for the person choosing it; null when it is acceptable. */
export function passwordWeakness(password: string): string | null {
  if (password.trim() === "") return "A password cannot be only spaces.";
  if (/^(.)\1*$/su.test(password)) return "A password cannot be one character repeated.";
  if (commonPasswordSet().has(password.toLowerCase())) {
    return "This password is among the most common ones and easy to guess. Choose another.";
  }
  return null;
}

// ---- hashing, a few at a time ----------------------------------------------------------------------

/** argon2 hashes computed at once; the rest wait in a short queue. Each takes 19 MiB and a core's time. */
export const HASHING_CONCURRENCY = 2;
/** Waiting hashes beyond which a sign-in or sign-up is told to come back (503 + Retry-After). */
export const HASHING_QUEUE_MAX = 16;

/** Thrown when too many password checks are already waiting; the caller answers 503 with Retry-After. */
export class PasswordHashingBusyError extends Error {
  override readonly name = "PasswordHashingBusyError";
  readonly retryAfterSeconds = 2;
  constructor() {
    super("Too many sign-ins are being checked right now. Try again in a few seconds.");
  }
}

/** Of the waiting hashes, how many one client address may hold: the rest of the queue stays for others. */
export const HASHING_QUEUE_PER_CLIENT = 4;

// Waiting hashes per client address, served in turn (round robin between addresses, first come first served
// within one): eight sign-ups from one address used to queue ahead of everyone else's sign-in (issue 19, item 7).
let running = 0;
let waitingCount = 0;
const waiting = new Map<string, (() => void)[]>();
/** Addresses with waiting hashes, in the order they are next served. */
const turns: string[] = [];

/** Runs `work` (a hash) in one of the HASHING_CONCURRENCY slots, waiting its address's turn for one if all are taken. */
export async function withHashingSlot<T>(clientKey: string, work: () => Promise<T>): Promise<T> {
  if (running >= HASHING_CONCURRENCY) {
    const queue = waiting.get(clientKey) ?? [];
    if (waitingCount >= HASHING_QUEUE_MAX || queue.length >= HASHING_QUEUE_PER_CLIENT) throw new PasswordHashingBusyError();
    await new Promise<void>((resolve) => {
      if (queue.length === 0) {
        waiting.set(clientKey, queue);
        turns.push(clientKey);
      }
      queue.push(resolve);
      waitingCount += 1;
    });
  } else {
    running += 1;
  }
  try {
    return await work();
  } finally {
    // Hand the slot straight to the next address in turn, or free it.
    const next = nextWaiting();
    if (next) next();
    else running -= 1;
  }
}

function nextWaiting(): (() => void) | undefined {
  const key = turns.shift();
  if (key === undefined) return undefined;
  const queue = waiting.get(key);
  const next = queue?.shift();
  if (queue && queue.length > 0) turns.push(key);
  else waiting.delete(key);
  waitingCount -= 1;
  return next;
}

/** `clientKey`: the client address the hash is computed for; hashes wait their turn fairly between addresses. */
export function hashPassword(password: string, clientKey = "unknown"): Promise<string> {
  return withHashingSlot(clientKey, () => hash(password, ARGON2_OPTIONS));
}

export async function verifyPassword(passwordHash: string, password: string, clientKey = "unknown"): Promise<boolean> {
  return withHashingSlot(clientKey, async () => {
    try {
      return await verify(passwordHash, password);
    } catch {
      // A malformed stored hash is a failed check, not a crash.
      return false;
    }
  });
}

let dummyHash: Promise<string> | undefined;

/**
 * Verifies against a throwaway hash so that an unknown email costs as much time as a wrong password:
 * response timing must not tell which accounts exist.
 */
export async function verifyAgainstDummyHash(password: string, clientKey = "unknown"): Promise<void> {
  dummyHash ??= hash("carestral-dummy-password-for-timing", ARGON2_OPTIONS);
  await verifyPassword(await dummyHash, password, clientKey);
}
