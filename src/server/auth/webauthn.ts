import { decodePKIXECDSASignature, decodeSEC1PublicKey, ECDSAPublicKey, p256, verifyECDSASignature } from "@oslojs/crypto/ecdsa";
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
      if (key.curve !== coseEllipticCurveP256) throw new WebAuthnVerificationError("ES256 key not on P-256");
      return { credentialId: credential.id, algorithm, publicKey: new ECDSAPublicKey(p256, key.x, key.y).encodeSEC1Uncompressed(), signCount: authenticatorData.signatureCounter };
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
): { signCount: number } {
  checkClientData(rp, input.clientData, ClientDataType.Get);
  let authenticatorData: AuthenticatorData;
  try {
    authenticatorData = parseAuthenticatorData(input.authenticatorData);
  } catch {
    throw new WebAuthnVerificationError("authenticatorData is not valid");
  }
  checkAuthenticatorData(rp, authenticatorData, userVerification);
  const hash = sha256(createAssertionSignatureMessage(input.authenticatorData, input.clientDataJSON));
  if (!verifySignature(credential, hash, input.signature)) throw new WebAuthnVerificationError("the signature does not verify");
  return { signCount: authenticatorData.signatureCounter };
}

function verifySignature(credential: { algorithm: number; publicKey: Uint8Array }, hash: Uint8Array, signature: Uint8Array): boolean {
  try {
    if (credential.algorithm === coseAlgorithmES256) {
      return verifyECDSASignature(decodeSEC1PublicKey(p256, credential.publicKey), hash, decodePKIXECDSASignature(signature));
    }
    if (credential.algorithm === coseAlgorithmRS256) {
      return verifyRSASSAPKCS1v15Signature(decodePKCS1RSAPublicKey(credential.publicKey), sha256ObjectIdentifier, hash, signature);
    }
  } catch {
    // A signature that does not even decode (a tampered request) is simply a bad one.
  }
  return false;
}

/**
 * §6.1.1 / §7.2 step 21: the stored counter and the new one are both 0 (an authenticator without a counter, as
 * synced passkeys are), or the new one is larger. Anything else may be a cloned authenticator: refused.
 */
export function isCounterAcceptable(stored: number, received: number): boolean {
  return (stored === 0 && received === 0) || received > stored;
}
