import { decodePKIXECDSASignature, ECDSAPublicKey, p256, verifyECDSASignature } from "@oslojs/crypto/ecdsa";
import { decodePKCS1RSAPublicKey, RSAPublicKey, sha256ObjectIdentifier, verifyRSASSAPKCS1v15Signature } from "@oslojs/crypto/rsa";
import { sha256 } from "@oslojs/crypto/sha2";
import {
  ClientDataType,
  coseAlgorithmES256,
  coseAlgorithmRS256,
  coseEllipticCurveP256,
  createAssertionSignatureMessage,
  parseAttestationObject,
  parseAuthenticatorData,
  parseClientDataJSON,
  type AuthenticatorData,
  type ClientData,
} from "@oslojs/webauthn";

// The relying party's checks of WebAuthn Level 3 §7.1 (registration) and §7.2 (authentication), as the Lucia
// guide's WebAuthn example makes them with @oslojs/webauthn. Pure: the challenge, the stored credential and its
// counter are the caller's (passkeys.ts), so that each is read and spent in the database.

/** Who the browser signs for: the rp id is APP_URL's host, and only pages at APP_URL's origin may ask. */
export interface RelyingParty {
  id: string;
  origin: string;
}

export function relyingPartyFor(appUrl: string): RelyingParty {
  const url = new URL(appUrl);
  return { id: url.hostname, origin: url.origin };
}

/** The algorithms offered to authenticators, in order of preference (COSE ids): ES256, then RS256 (Windows Hello). */
export const SUPPORTED_ALGORITHMS = [coseAlgorithmES256, coseAlgorithmRS256] as const;

/** A response that fails a check. The message is for the log and tests (never a secret); people get a plainer one. */
export class WebAuthnVerificationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WebAuthnVerificationError";
  }
}

/** The challenge the browser signed, read before any other check so that the caller can spend it first. */
export function readClientData(clientDataJSON: Uint8Array): ClientData {
  try {
    return parseClientDataJSON(clientDataJSON);
  } catch {
    throw new WebAuthnVerificationError("clientDataJSON is not valid");
  }
}

function checkClientData(rp: RelyingParty, clientData: ClientData, type: ClientDataType): void {
  if (clientData.type !== type) throw new WebAuthnVerificationError(`clientData.type is not webauthn.${type === ClientDataType.Create ? "create" : "get"}`);
  // §7.1 step 9 / §7.2 step 13: exactly our origin, not a subdomain nor a page framing ours.
  if (clientData.origin !== rp.origin) throw new WebAuthnVerificationError("clientData.origin is not APP_URL's origin");
  if (clientData.crossOrigin === true) throw new WebAuthnVerificationError("clientData.crossOrigin is true");
}

function checkAuthenticatorData(rp: RelyingParty, authenticatorData: AuthenticatorData, userVerification: "required" | "presence"): void {
  if (!authenticatorData.verifyRelyingPartyIdHash(rp.id)) throw new WebAuthnVerificationError("rpIdHash is not APP_URL's host");
  if (!authenticatorData.userPresent) throw new WebAuthnVerificationError("the user was not present (UP flag unset)");
  if (userVerification === "required" && !authenticatorData.userVerified) throw new WebAuthnVerificationError("the user was not verified (UV flag unset)");
}

export interface VerifiedRegistration {
  credentialId: Uint8Array;
  algorithm: number;
  /** SEC1 uncompressed (ES256) or PKCS#1 (RS256). */
  publicKey: Uint8Array;
  signCount: number;
}

/**
 * §7.1 steps 7–26 for a passkey: created at our origin for our rp id, by a verified user, with a key we can verify.
 * The attestation statement is not checked: we ask for none (no authenticator vendor is trusted or refused), so
 * the key is taken as the authenticator gives it, which is what attestation "none" means.
 */
export function verifyRegistration(rp: RelyingParty, input: { clientData: ClientData; attestationObject: Uint8Array }): VerifiedRegistration {
  checkClientData(rp, input.clientData, ClientDataType.Create);
  let authenticatorData: AuthenticatorData;
  try {
    authenticatorData = parseAttestationObject(input.attestationObject).authenticatorData;
  } catch {
    throw new WebAuthnVerificationError("attestationObject is not valid");
  }
  checkAuthenticatorData(rp, authenticatorData, "required");
  const credential = authenticatorData.credential;
  if (!credential) throw new WebAuthnVerificationError("no attested credential data");
  if (credential.id.length > 1023) throw new WebAuthnVerificationError("credential id longer than 1023 bytes");
  try {
    const algorithm = credential.publicKey.algorithm();
    if (algorithm === coseAlgorithmES256) {
      const key = credential.publicKey.ec2();
      if (key.curve !== coseEllipticCurveP256 || !isOnP256(key.x, key.y)) throw new WebAuthnVerificationError("ES256 key not on P-256");
      return { credentialId: credential.id, algorithm, publicKey: encodeP256Uncompressed(key.x, key.y), signCount: authenticatorData.signatureCounter };
    }
    if (algorithm === coseAlgorithmRS256) {
      const key = credential.publicKey.rsa();
      return { credentialId: credential.id, algorithm, publicKey: new RSAPublicKey(key.n, key.e).encodePKCS1(), signCount: authenticatorData.signatureCounter };
    }
  } catch (error) {
    if (error instanceof WebAuthnVerificationError) throw error;
    throw new WebAuthnVerificationError("credential public key is not valid");
  }
  throw new WebAuthnVerificationError("unsupported public key algorithm");
}

const P256_COORDINATE_BYTES = 32;

function isOnP256(x: bigint, y: bigint): boolean {
  const { p, a, b } = p256;
  return x >= 0n && x < p && y >= 0n && y < p && (y * y - (x * x * x + a * x + b)) % p === 0n;
}

function coordinateBytes(value: bigint): Uint8Array {
  const bytes = new Uint8Array(P256_COORDINATE_BYTES);
  for (let i = P256_COORDINATE_BYTES - 1, rest = value; i >= 0; i--, rest >>= 8n) bytes[i] = Number(rest & 0xffn);
  return bytes;
}

/**
 * SEC1 uncompressed (0x04, x, y, each 32 bytes big-endian). Not @oslojs/crypto 1.0.1's encodeSEC1Uncompressed,
 * which writes a y shorter than 32 bytes (one key in 256 has a leading zero byte) without its leading zeros, so
 * that the key stored is another one and every sign-in with that passkey fails.
 */
function encodeP256Uncompressed(x: bigint, y: bigint): Uint8Array {
  const bytes = new Uint8Array(1 + 2 * P256_COORDINATE_BYTES);
  bytes[0] = 0x04;
  bytes.set(coordinateBytes(x), 1);
  bytes.set(coordinateBytes(y), 1 + P256_COORDINATE_BYTES);
  return bytes;
}

function readCoordinate(bytes: Uint8Array): bigint {
  return bytes.reduce((value, byte) => (value << 8n) | BigInt(byte), 0n);
}

/**
 * The ES256 key a passkey row holds, and, when the row was written by @oslojs/crypto's encoder (its y moved left,
 * zero bytes at the end: see encodeP256Uncompressed), the same key written right, for the caller to store in its
 * place. Such a row's point is not on the curve; the one y that is, once the trailing zero bytes are dropped, is
 * the authenticator's.
 */
function readStoredP256Key(stored: Uint8Array): { key: ECDSAPublicKey; rewritten: Uint8Array | null } {
  if (stored.length !== 1 + 2 * P256_COORDINATE_BYTES || stored[0] !== 0x04) throw new WebAuthnVerificationError("stored ES256 key is not SEC1 uncompressed");
  const x = readCoordinate(stored.subarray(1, 1 + P256_COORDINATE_BYTES));
  let y = readCoordinate(stored.subarray(1 + P256_COORDINATE_BYTES));
  if (isOnP256(x, y)) return { key: new ECDSAPublicKey(p256, x, y), rewritten: null };
  while (y !== 0n && (y & 0xffn) === 0n) {
    y >>= 8n;
    if (isOnP256(x, y)) return { key: new ECDSAPublicKey(p256, x, y), rewritten: encodeP256Uncompressed(x, y) };
  }
  throw new WebAuthnVerificationError("stored ES256 key is not on P-256");
}

/**
 * §7.2 steps 11–20 for an assertion by `credential`: signed at our origin for our rp id, the user present (and
 * verified, where asked), the signature good. Returns the authenticator's new counter, which the caller compares
 * with the stored one.
 */
export function verifyAssertion(
  rp: RelyingParty,
  input: { clientData: ClientData; clientDataJSON: Uint8Array; authenticatorData: Uint8Array; signature: Uint8Array },
  credential: { algorithm: number; publicKey: Uint8Array },
  userVerification: "required" | "presence",
): { signCount: number; rewrittenPublicKey: Uint8Array | null } {
  checkClientData(rp, input.clientData, ClientDataType.Get);
  let authenticatorData: AuthenticatorData;
  try {
    authenticatorData = parseAuthenticatorData(input.authenticatorData);
  } catch {
    throw new WebAuthnVerificationError("authenticatorData is not valid");
  }
  checkAuthenticatorData(rp, authenticatorData, userVerification);
  const hash = sha256(createAssertionSignatureMessage(input.authenticatorData, input.clientDataJSON));
  if (credential.algorithm === coseAlgorithmES256) {
    const { key, rewritten } = readStoredP256Key(credential.publicKey);
    if (!verifyES256(key, hash, input.signature)) throw new WebAuthnVerificationError("the signature does not verify");
    return { signCount: authenticatorData.signatureCounter, rewrittenPublicKey: rewritten };
  }
  if (credential.algorithm === coseAlgorithmRS256) {
    if (!verifyRS256(credential.publicKey, hash, input.signature)) throw new WebAuthnVerificationError("the signature does not verify");
    return { signCount: authenticatorData.signatureCounter, rewrittenPublicKey: null };
  }
  throw new WebAuthnVerificationError("unsupported public key algorithm");
}

// A signature that does not even decode (a tampered request) is simply a bad one.
function verifyES256(key: ECDSAPublicKey, hash: Uint8Array, signature: Uint8Array): boolean {
  try {
    return verifyECDSASignature(key, hash, decodePKIXECDSASignature(signature));
  } catch {
    return false;
  }
}

function verifyRS256(publicKey: Uint8Array, hash: Uint8Array, signature: Uint8Array): boolean {
  try {
    return verifyRSASSAPKCS1v15Signature(decodePKCS1RSAPublicKey(publicKey), sha256ObjectIdentifier, hash, signature);
  } catch {
    return false;
  }
}

/**
 * §6.1.1 / §7.2 step 21: the stored counter and the new one are both 0 (an authenticator without a counter, as
 * synced passkeys are), or the new one is larger. Anything else may be a cloned authenticator: refused.
 */
export function isCounterAcceptable(stored: number, received: number): boolean {
  return (stored === 0 && received === 0) || received > stored;
}
