import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { env } from "~/env";

// Authenticator-app keys at rest: AES-256-GCM under TOTP_ENCRYPTION_KEY, with the owner's id as associated data,
// so a stored value copied onto another person's row does not decrypt. Stored as "v1:" + base64(iv | ciphertext |
// tag); the version leaves room for a key rotation later.

const VERSION = "v1";
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Outside production without TOTP_ENCRYPTION_KEY, a fixed key that anyone reading this file knows: development
 * and tests need no setting (as mail falls back to the log), and nothing real is protected by it. In production
 * without the setting there is no key, and authenticator apps are unavailable (the page says so).
 */
const DEVELOPMENT_KEY = createHash("sha256").update("carestral development TOTP key: not a secret").digest();

export type TotpKeyEncryption = { available: true; key: Buffer } | { available: false };

export function totpKeyEncryption(): TotpKeyEncryption {
  if (env.TOTP_ENCRYPTION_KEY) return { available: true, key: Buffer.from(env.TOTP_ENCRYPTION_KEY, "base64") };
  return env.NODE_ENV === "production" ? { available: false } : { available: true, key: DEVELOPMENT_KEY };
}

export const TOTP_UNAVAILABLE_MESSAGE =
  "This server cannot store authenticator apps yet. Ask its administrator to set TOTP_ENCRYPTION_KEY.";

/** Thrown when an authenticator key must be read or written but the server has no key to do it with. */
export class TotpEncryptionUnavailableError extends Error {
  constructor() {
    super("TOTP_ENCRYPTION_KEY is not set.");
    this.name = "TotpEncryptionUnavailableError";
  }
}

function encryptionKey(): Buffer {
  const encryption = totpKeyEncryption();
  if (!encryption.available) throw new TotpEncryptionUnavailableError();
  return encryption.key;
}

export function encryptTotpKey(totpKey: Uint8Array, userId: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", encryptionKey(), iv);
  cipher.setAAD(Buffer.from(userId, "utf8"));
  const ciphertext = Buffer.concat([cipher.update(totpKey), cipher.final()]);
  return `${VERSION}:${Buffer.concat([iv, ciphertext, cipher.getAuthTag()]).toString("base64")}`;
}

/** The key, or null when the value was not encrypted under this server's key for this person (tampered, moved, key changed). */
export function decryptTotpKey(stored: string, userId: string): Uint8Array | null {
  const key = encryptionKey();
  const [version, payload] = stored.split(":");
  if (version !== VERSION || !payload) return null;
  const bytes = Buffer.from(payload, "base64");
  if (bytes.length <= IV_BYTES + TAG_BYTES) return null;
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, bytes.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(userId, "utf8"));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    return new Uint8Array(Buffer.concat([decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()]));
  } catch {
    return null;
  }
}
