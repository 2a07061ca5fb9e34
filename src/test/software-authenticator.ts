import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from "node:crypto";
import { decodeBase64urlIgnorePadding, encodeBase64urlNoPadding } from "@oslojs/encoding";
import type { AssertionResponse, RegistrationResponse } from "~/server/auth/passkeys";

// A WebAuthn authenticator in software, for tests that must reach every check of the server (a wrong origin or
// rp id, a counter going backwards, a signature by another key) which a browser's authenticator never produces.
// It answers as navigator.credentials.create/get would, in the shape the app's client sends (base64url fields).

type CborValue = number | string | Uint8Array | Map<CborValue, CborValue>;

/** The few CBOR types an attestation object and a COSE key use (RFC 8949): integers, byte and text strings, maps. */
function encodeCbor(value: CborValue): Buffer {
  const head = (major: number, length: number): Buffer => {
    if (length < 24) return Buffer.from([(major << 5) | length]);
    if (length < 256) return Buffer.from([(major << 5) | 24, length]);
    const bytes = Buffer.alloc(3);
    bytes[0] = (major << 5) | 25;
    bytes.writeUInt16BE(length, 1);
    return bytes;
  };
  if (typeof value === "number") return value >= 0 ? head(0, value) : head(1, -1 - value);
  if (typeof value === "string") return Buffer.concat([head(3, Buffer.byteLength(value)), Buffer.from(value)]);
  if (value instanceof Uint8Array) return Buffer.concat([head(2, value.length), Buffer.from(value)]);
  return Buffer.concat([head(5, value.size), ...[...value].flatMap(([key, item]) => [encodeCbor(key), encodeCbor(item)])]);
}

export type KeyAlgorithm = "ES256" | "RS256";

interface StoredCredential {
  privateKey: KeyObject;
  algorithm: KeyAlgorithm;
  userHandle: Uint8Array;
  counter: number;
}

export interface CeremonyOptions {
  /** Where the page that called WebAuthn was; default: the authenticator's origin. */
  origin?: string;
  /** The rp id the authenticator signs for; default: the authenticator's. */
  rpId?: string;
  userVerified?: boolean;
  /** The clientData type; default the right one for the ceremony. */
  type?: string;
  crossOrigin?: boolean;
}

export class SoftwareAuthenticator {
  private readonly credentials = new Map<string, StoredCredential>();

  /**
   * `counter`: "increment" (a security key's counter, +1 a use) or "zero" (a synced passkey, which keeps 0).
   */
  constructor(
    readonly rp: { id: string; origin: string },
    private readonly counter: "increment" | "zero" = "increment",
  ) {}

  /**
   * navigator.credentials.create: a new credential for `userHandle`, and what the browser sends back. `keyPair`:
   * the credential's key (of `algorithm`), for a test that needs a particular one; default: a new one.
   */
  register(
    challenge: string,
    userHandle: Uint8Array,
    options: CeremonyOptions & { algorithm?: KeyAlgorithm; keyPair?: { privateKey: KeyObject; publicKey: KeyObject } } = {},
  ): { credentialId: string; response: RegistrationResponse } {
    const algorithm = options.algorithm ?? "ES256";
    const { privateKey, publicKey } =
      options.keyPair ?? (algorithm === "ES256" ? generateKeyPairSync("ec", { namedCurve: "P-256" }) : generateKeyPairSync("rsa", { modulusLength: 2048 }));
    const credentialId = new Uint8Array(randomBytes(32));
    const counter = this.counter === "increment" ? 1 : 0;
    this.credentials.set(encodeBase64urlNoPadding(credentialId), { privateKey, algorithm, userHandle, counter });

    const jwk = publicKey.export({ format: "jwk" });
    const coseKey =
      algorithm === "ES256"
        ? new Map<CborValue, CborValue>([
            [1, 2],
            [3, -7],
            [-1, 1],
            [-2, decodeBase64urlIgnorePadding(jwk.x ?? "")],
            [-3, decodeBase64urlIgnorePadding(jwk.y ?? "")],
          ])
        : new Map<CborValue, CborValue>([
            [1, 3],
            [3, -257],
            [-1, decodeBase64urlIgnorePadding(jwk.n ?? "")],
            [-2, decodeBase64urlIgnorePadding(jwk.e ?? "")],
          ]);
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(credentialId.length);
    const attestedCredentialData = Buffer.concat([Buffer.alloc(16), idLength, credentialId, encodeCbor(coseKey)]);
    const authenticatorData = this.authenticatorData(options, counter, attestedCredentialData);
    const attestationObject = encodeCbor(
      new Map<CborValue, CborValue>([
        ["fmt", "none"],
        ["attStmt", new Map()],
        ["authData", authenticatorData],
      ]),
    );
    return {
      credentialId: encodeBase64urlNoPadding(credentialId),
      response: {
        clientDataJSON: this.clientDataJSON("webauthn.create", challenge, options),
        attestationObject: encodeBase64urlNoPadding(attestationObject),
      },
    };
  }

  /** navigator.credentials.get with `credentialId` (one this authenticator created): the signed assertion. */
  assert(challenge: string, credentialId: string, options: CeremonyOptions & { signCount?: number; userHandle?: Uint8Array | null } = {}): AssertionResponse {
    const credential = this.credentials.get(credentialId);
    if (!credential) throw new Error("This authenticator holds no such credential");
    if (options.signCount === undefined && this.counter === "increment") credential.counter += 1;
    const authenticatorData = this.authenticatorData(options, options.signCount ?? credential.counter);
    const clientDataJSON = this.clientDataJSON("webauthn.get", challenge, options);
    const signed = Buffer.concat([authenticatorData, createHash("sha256").update(decodeBase64urlIgnorePadding(clientDataJSON)).digest()]);
    // ECDSA in DER, RSA in PKCS#1 v1.5: what authenticators send for ES256 and RS256.
    const signature = sign("sha256", signed, credential.privateKey);
    const userHandle = options.userHandle === undefined ? credential.userHandle : options.userHandle;
    return {
      credentialId,
      clientDataJSON,
      authenticatorData: encodeBase64urlNoPadding(authenticatorData),
      signature: encodeBase64urlNoPadding(signature),
      userHandle: userHandle === null ? null : encodeBase64urlNoPadding(userHandle),
    };
  }

  private authenticatorData(options: CeremonyOptions, signCount: number, attestedCredentialData?: Buffer): Buffer {
    const rpIdHash = createHash("sha256").update(options.rpId ?? this.rp.id).digest();
    // UP (0x01), UV (0x04), AT (0x40): attested credential data follows.
    const flags = 0x01 | (options.userVerified === false ? 0 : 0x04) | (attestedCredentialData ? 0x40 : 0);
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(signCount);
    return Buffer.concat([rpIdHash, Buffer.from([flags]), counter, attestedCredentialData ?? Buffer.alloc(0)]);
  }

  private clientDataJSON(type: string, challenge: string, options: CeremonyOptions): string {
    const clientData = { type: options.type ?? type, challenge, origin: options.origin ?? this.rp.origin, crossOrigin: options.crossOrigin ?? false };
    return encodeBase64urlNoPadding(new TextEncoder().encode(JSON.stringify(clientData)));
  }
}
