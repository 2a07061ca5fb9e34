import { sha256 } from "@oslojs/crypto/sha2";
import { encodeBase64urlNoPadding } from "@oslojs/encoding";

// PKCE (RFC 7636), S256 only: OAuth 2.1 and the MCP authorization spec forbid "plain".

// RFC 7636 §4.1 and §4.2: 43 to 128 unreserved characters; an S256 challenge is 43 base64url characters.
const VERIFIER_PATTERN = /^[A-Za-z0-9\-._~]{43,128}$/;
const CHALLENGE_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function isValidCodeChallenge(challenge: string): boolean {
  return CHALLENGE_PATTERN.test(challenge);
}

/** True when `verifier` is well formed and BASE64URL(SHA256(verifier)) equals the stored challenge. */
export function verifyCodeVerifier(verifier: string, challenge: string): boolean {
  if (!VERIFIER_PATTERN.test(verifier)) return false;
  return encodeBase64urlNoPadding(sha256(new TextEncoder().encode(verifier))) === challenge;
}
