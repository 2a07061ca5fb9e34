import { sha256Hex } from "~/server/hash";

// Token format (DESIGN: Tokens), pure so it can be tested and reused anywhere:
//
//   mcp_<random: 43 base62 chars><checksum: 6 base62 chars>        53 characters in all (personal)
//   mcpo_…  and  mcpr_…                                           54 characters (OAuth access and refresh)
//
// - base62 alphabet, in this order: 0-9, A-Z, a-z ("0" = 0, "A" = 10, "a" = 36, "z" = 61).
// - random: each character drawn uniformly from the alphabet; 43 × log2(62) ≈ 256.03 bits.
// - checksum: CRC-32 (IEEE 802.3: reflected polynomial 0xEDB88320, init and final XOR 0xFFFFFFFF, the
//   zlib/PNG `crc32`) of the UTF-8 bytes of the prefix + random, written as an unsigned 32-bit number in
//   base62, most significant digit first, left-padded with "0" to 6 characters (62^6 > 2^32).
//
// A secret scanner can match /\bmcp[or]?_[0-9A-Za-z]{49}\b/ and confirm the last 6 characters this way,
// so a mistyped or made-up token is rejected without a database lookup.

export const TOKEN_PREFIX = "mcp_";
/** The prefix of each kind of token: personal (dashboard), OAuth access (1 hour), OAuth refresh. */
export const TOKEN_PREFIXES = { personal: "mcp_", oauth_access: "mcpo_", oauth_refresh: "mcpr_" } as const;
export type TokenKind = keyof typeof TOKEN_PREFIXES;
export const TOKEN_RANDOM_LENGTH = 43;
export const TOKEN_CHECKSUM_LENGTH = 6;
/** Characters of the random part shown in the dashboard, after the prefix. */
export const TOKEN_DISPLAY_LENGTH = 8;

export const BASE62_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

const TOKEN_PATTERN = new RegExp(`^(mcp_|mcpo_|mcpr_)[0-9A-Za-z]{${TOKEN_RANDOM_LENGTH + TOKEN_CHECKSUM_LENGTH}}$`);

// 248 = 4 × 62: bytes at or above it are discarded so that `byte % 62` is uniform (no modulo bias).
const UNBIASED_BYTE_LIMIT = 256 - (256 % BASE62_ALPHABET.length);

/** A new token: its kind's prefix + 43 random base62 characters + 6-character CRC-32 checksum. */
export function generateTokenString(kind: TokenKind = "personal"): string {
  const body = TOKEN_PREFIXES[kind] + randomBase62(TOKEN_RANDOM_LENGTH);
  return body + tokenChecksum(body);
}

/** The kind a well-formed token's prefix names, or null when the shape or checksum is wrong. */
export function wellFormedTokenKind(token: string): TokenKind | null {
  const prefix = TOKEN_PATTERN.exec(token)?.[1];
  if (prefix === undefined) return null;
  const body = token.slice(0, -TOKEN_CHECKSUM_LENGTH);
  if (token.slice(-TOKEN_CHECKSUM_LENGTH) !== tokenChecksum(body)) return null;
  return prefix === TOKEN_PREFIXES.oauth_access ? "oauth_access" : prefix === TOKEN_PREFIXES.oauth_refresh ? "oauth_refresh" : "personal";
}

/** SHA-256 (lower-case hex) of the whole token: the only form in which a token is stored. */
export function hashToken(token: string): string {
  return sha256Hex(token);
}

/** What the dashboard shows to tell tokens apart: the prefix + the first 8 random characters. */
export function tokenPrefix(token: string): string {
  return token.slice(0, token.indexOf("_") + 1 + TOKEN_DISPLAY_LENGTH);
}

/** The 6-character base62 CRC-32 of `body` (prefix + random part). */
export function tokenChecksum(body: string): string {
  return encodeBase62(crc32(new TextEncoder().encode(body))).padStart(TOKEN_CHECKSUM_LENGTH, "0");
}

/** Uniformly random base62 characters (bytes past the last whole multiple of 62 are discarded). */
export function randomBase62(length: number): string {
  let result = "";
  const bytes = new Uint8Array(64);
  while (result.length < length) {
    crypto.getRandomValues(bytes);
    for (const byte of bytes) {
      if (byte >= UNBIASED_BYTE_LIMIT) continue;
      result += BASE62_ALPHABET[byte % BASE62_ALPHABET.length];
      if (result.length === length) break;
    }
  }
  return result;
}

/** Base62 digits of a non-negative integer, most significant first, no padding. */
export function encodeBase62(value: number): string {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError("encodeBase62 expects a non-negative safe integer");
  let digits = "";
  let rest = value;
  do {
    digits = BASE62_ALPHABET.charAt(rest % 62) + digits;
    rest = Math.floor(rest / 62);
  } while (rest > 0);
  return digits;
}

const CRC32_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32/ISO-HDLC (zlib, PNG, Ethernet) as an unsigned 32-bit integer. */
export function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = (CRC32_TABLE[(crc ^ byte) & 0xff] ?? 0) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
