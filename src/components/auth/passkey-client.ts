import { decodeBase64urlIgnorePadding, encodeBase64urlNoPadding } from "@oslojs/encoding";
import type { PasskeyRequestOptions } from "~/server/api/routers/passkeys";
import type { AssertionResponse, RegistrationResponse } from "~/server/auth/passkeys";

// The browser's half of WebAuthn: navigator.credentials.create/get with the server's options, and their answers
// as base64url fields for tRPC. The server checks everything; this only translates.

export interface PasskeyCreationOptions {
  challenge: string;
  rp: { id: string; name: string };
  user: { id: string; name: string; displayName: string };
  algorithms: number[];
  excludeCredentialIds: string[];
  timeoutMs: number;
}

/** A refusal by the browser or the person, with a sentence to show. */
export class PasskeyCeremonyError extends Error {}

const bytes = (base64url: string) => decodeBase64urlIgnorePadding(base64url) as Uint8Array<ArrayBuffer>;
const base64url = (buffer: ArrayBuffer) => encodeBase64urlNoPadding(new Uint8Array(buffer));

function ensureSupported(): void {
  if (typeof window === "undefined" || !window.PublicKeyCredential || !navigator.credentials) {
    throw new PasskeyCeremonyError("This browser does not support passkeys. Use another browser, or sign in with your password.");
  }
}

/** The browser's DOMException names, in words (WebAuthn §5.1.3, §5.1.4). */
function describeCeremonyFailure(error: unknown, ceremony: "create" | "get"): PasskeyCeremonyError {
  const name = error instanceof DOMException ? error.name : "";
  switch (name) {
    case "NotAllowedError":
    case "AbortError":
      return new PasskeyCeremonyError("The passkey request was cancelled or timed out. Try again when you are ready.");
    case "InvalidStateError":
      return new PasskeyCeremonyError(
        ceremony === "create" ? "This device already holds a passkey for your account. Use another device, or remove that passkey first." : "This passkey cannot be used here.",
      );
    case "SecurityError":
      return new PasskeyCeremonyError("Passkeys only work at the address Carestral is configured with (its APP_URL). Open it there and try again.");
    case "NotSupportedError":
      return new PasskeyCeremonyError("None of this device’s passkey methods is supported. Try another device.");
    default:
      return new PasskeyCeremonyError("The passkey request failed. Try again.");
  }
}

/** Asks the browser for a new passkey (a discoverable credential that verifies its user). */
export async function createPasskey(options: PasskeyCreationOptions): Promise<RegistrationResponse> {
  ensureSupported();
  let credential: Credential | null;
  try {
    credential = await navigator.credentials.create({
      publicKey: {
        challenge: bytes(options.challenge),
        rp: options.rp,
        user: { id: bytes(options.user.id), name: options.user.name, displayName: options.user.displayName },
        pubKeyCredParams: options.algorithms.map((alg) => ({ type: "public-key" as const, alg })),
        excludeCredentials: options.excludeCredentialIds.map((id) => ({ type: "public-key" as const, id: bytes(id) })),
        authenticatorSelection: { residentKey: "required", requireResidentKey: true, userVerification: "required" },
        attestation: "none",
        timeout: options.timeoutMs,
      },
    });
  } catch (error) {
    throw describeCeremonyFailure(error, "create");
  }
  if (!(credential instanceof PublicKeyCredential) || !(credential.response instanceof AuthenticatorAttestationResponse)) {
    throw new PasskeyCeremonyError("The browser did not make a passkey. Try again.");
  }
  return { clientDataJSON: base64url(credential.response.clientDataJSON), attestationObject: base64url(credential.response.attestationObject) };
}

/** Asks the browser to sign the challenge with a passkey: one of `allowCredentialIds`, or any of this site's the person picks. */
export async function getPasskeyAssertion(options: PasskeyRequestOptions, userVerification: UserVerificationRequirement): Promise<AssertionResponse> {
  ensureSupported();
  let credential: Credential | null;
  try {
    credential = await navigator.credentials.get({
      publicKey: {
        challenge: bytes(options.challenge),
        rpId: options.rpId,
        allowCredentials: options.allowCredentialIds.map((id) => ({ type: "public-key" as const, id: bytes(id) })),
        userVerification,
        timeout: options.timeoutMs,
      },
    });
  } catch (error) {
    throw describeCeremonyFailure(error, "get");
  }
  if (!(credential instanceof PublicKeyCredential) || !(credential.response instanceof AuthenticatorAssertionResponse)) {
    throw new PasskeyCeremonyError("The browser did not use a passkey. Try again.");
  }
  const { response } = credential;
  return {
    credentialId: base64url(credential.rawId),
    clientDataJSON: base64url(response.clientDataJSON),
    authenticatorData: base64url(response.authenticatorData),
    signature: base64url(response.signature),
    userHandle: response.userHandle ? base64url(response.userHandle) : null,
  };
}
