import { createHash, createPublicKey, verify, type KeyObject } from "node:crypto";
import { z } from "zod";
import { env, type SecretScanningKeys } from "~/env";
import { processSingleton } from "~/server/process-singleton";

// The public keys that sign leaked-token reports (GitHub's secret scanning partner program): ECDSA P-256, the
// signature (DER, base64) over the raw body with SHA-256. DESIGN: Tokens beyond this deployment.

export interface ScanningKey {
  /** GitHub's key_identifier; for a PEM key from the configuration, the SHA-256 (hex) of its DER encoding. */
  identifier: string;
  key: KeyObject;
}

const keyListSchema = z.object({
  public_keys: z.array(z.object({ key_identifier: z.string().min(1), key: z.string().min(1) })).min(1),
});

/** How long a fetched key list is kept; an unknown identifier refetches it, at most once a minute. */
const KEY_LIST_TTL_MS = 60 * 60 * 1000;
const KEY_LIST_REFRESH_MS = 60 * 1000;
const KEY_LIST_TIMEOUT_MS = 5000;

function p256Key(pem: string): KeyObject {
  const key = createPublicKey(pem);
  if (key.asymmetricKeyType !== "ec" || key.asymmetricKeyDetails?.namedCurve !== "prime256v1") {
    throw new Error("a secret scanning key must be an ECDSA P-256 public key");
  }
  return key;
}

export function pemKeys(pems: string[]): ScanningKey[] {
  return pems.map((pem) => {
    const key = p256Key(pem);
    return { identifier: createHash("sha256").update(key.export({ type: "spki", format: "der" })).digest("hex"), key };
  });
}

/** Reads a key list in GitHub's format ({ public_keys: [{ key_identifier, key }] }); keys that are not P-256 are left out. */
export async function fetchKeyList(url: string): Promise<ScanningKey[]> {
  const response = await fetch(url, { headers: { Accept: "application/json" }, signal: AbortSignal.timeout(KEY_LIST_TIMEOUT_MS), redirect: "error" });
  if (!response.ok) throw new Error(`the key list at ${url} answered ${response.status}`);
  const list = keyListSchema.parse(await response.json());
  const keys: ScanningKey[] = [];
  for (const entry of list.public_keys) {
    try {
      keys.push({ identifier: entry.key_identifier, key: p256Key(entry.key) });
    } catch {
      // Another algorithm in the list one day: not one we check signatures with.
    }
  }
  return keys;
}

interface CachedList {
  url: string;
  keys: ScanningKey[];
  fetchedAt: number;
}

const keyList = processSingleton<{ cached?: CachedList }>("scanningKeys", () => ({}));

/**
 * The keys that may have signed a report naming `identifier`. Configured PEM keys are all candidates (few, all
 * trusted). A key list URL is read once and kept an hour; an identifier it does not hold (GitHub rotated its
 * keys) reads it again, at most once a minute. Throws when the list cannot be read.
 */
export async function candidateKeys(identifier: string, configured: SecretScanningKeys = env.SECRET_SCANNING_KEYS, now = Date.now()): Promise<ScanningKey[]> {
  if (configured.kind === "none") return [];
  if (configured.kind === "pem") return pemKeys(configured.pems);
  let { cached } = keyList;
  const known = (list: CachedList | undefined) => list?.keys.filter((key) => key.identifier === identifier) ?? [];
  const stale = !cached || cached.url !== configured.url || now - cached.fetchedAt > KEY_LIST_TTL_MS;
  const mayRefresh = !cached || now - cached.fetchedAt > KEY_LIST_REFRESH_MS;
  if (stale || (known(cached).length === 0 && mayRefresh)) {
    cached = { url: configured.url, keys: await fetchKeyList(configured.url), fetchedAt: now };
    keyList.cached = cached;
  }
  return known(cached);
}

/** Whether `signature` (base64 DER ECDSA) signs `body` with SHA-256 under one of `keys`. Never throws. */
export function signatureMatches(body: Uint8Array, signature: string, keys: ScanningKey[]): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(signature)) return false;
  const bytes = Buffer.from(signature, "base64");
  return keys.some(({ key }) => {
    try {
      return verify("sha256", body, { key, dsaEncoding: "der" }, bytes);
    } catch {
      return false;
    }
  });
}
