import { redirectUriKind } from "../redirect-uri";
import { parseClientIdUrl } from "./client-id-url";
import { HTTPS_URI_FIELDS, isHttpsUri, readClientName } from "./rules";
import type { ValidatedClient } from "./types";

// What a fetched Client ID Metadata Document must say (draft §4 and §4.1; MCP client-registration), checked
// with the same rules as a registration (./rules.ts, ../redirect-uri.ts).

// RFC 7591 §2 secret-based methods, and anything else we cannot verify: a CIMD client is public (draft §4.1).
const PUBLIC_AUTH_METHOD = "none";

/**
 * Validates a parsed document against the client_id it was fetched from: client_id equal by simple string
 * comparison, client_name and redirect_uris checked. `detail` completes the sentence "The document is not
 * acceptable: …".
 */
export function validateClientMetadataDocument(clientId: string, document: unknown): { ok: true; client: ValidatedClient } | { ok: false; detail: string } {
  const url = parseClientIdUrl(clientId);
  if (!url) return { ok: false, detail: "its client_id is not a valid metadata document address" };
  if (typeof document !== "object" || document === null || Array.isArray(document)) {
    return { ok: false, detail: "it is not a JSON object" };
  }
  const fields = document as Record<string, unknown>;

  if (fields.client_id !== clientId) {
    return { ok: false, detail: "its client_id does not match the address it was fetched from" };
  }
  // Draft §4.1: a document is public, so it MUST NOT carry a secret.
  if ("client_secret" in fields || "client_secret_expires_at" in fields) {
    return { ok: false, detail: "it contains a client secret, which a public document must never carry" };
  }

  const authMethodProblem = publicAuthMethodProblem(fields);
  if (authMethodProblem) return { ok: false, detail: authMethodProblem };

  const redirectUris = fields.redirect_uris;
  if (!Array.isArray(redirectUris) || redirectUris.length === 0) {
    return { ok: false, detail: "it lists no redirect_uris" };
  }
  const validRedirectUris: string[] = [];
  for (const candidate of redirectUris) {
    if (typeof candidate !== "string" || redirectUriKind(candidate) === null) {
      return {
        ok: false,
        detail: "one of its redirect_uris is not an acceptable address (https, http on a loopback host, or an app scheme; no fragment)",
      };
    }
    validRedirectUris.push(candidate);
  }

  let clientName = url.hostname;
  if (fields.client_name !== undefined) {
    if (typeof fields.client_name !== "string") return { ok: false, detail: "its client_name is not text" };
    const name = readClientName(fields.client_name);
    if (name === false) return { ok: false, detail: "its client_name is too long or is not one line of printable characters" };
    if (name !== null) clientName = name;
  }

  // RFC 7591 §2: grant_types defaults to ["authorization_code"].
  let grantTypes = ["authorization_code"];
  if (fields.grant_types !== undefined) {
    if (!isStringArray(fields.grant_types)) return { ok: false, detail: "its grant_types is not a list of strings" };
    grantTypes = fields.grant_types;
  }
  if (!grantTypes.includes("authorization_code")) {
    return { ok: false, detail: "it does not use the authorization code flow" };
  }
  if (fields.response_types !== undefined) {
    if (!isStringArray(fields.response_types) || !fields.response_types.includes("code")) {
      return { ok: false, detail: "its response_types does not include code" };
    }
  }

  for (const field of HTTPS_URI_FIELDS) {
    const value = fields[field];
    if (value !== undefined && (typeof value !== "string" || !isHttpsUri(value))) {
      return { ok: false, detail: `its ${field} is not an https address` };
    }
  }
  const client: ValidatedClient = {
    clientId,
    clientName,
    redirectUris: validRedirectUris,
    tokenEndpointAuthMethod: PUBLIC_AUTH_METHOD,
    grantTypes,
    host: url.hostname,
  };
  if (typeof fields.client_uri === "string") client.clientUri = fields.client_uri;
  if (typeof fields.logo_uri === "string") client.logoUri = fields.logo_uri;
  return { ok: true, client };
}

/**
 * Draft §4.1: the document must not claim a secret-based method. ChatGPT names private_key_jwt but
 * also lists "none" among the methods it supports; we do not verify client assertions, so it is taken
 * as a public client with PKCE (as workers-oauth-provider v1.2.2 does).
 */
function publicAuthMethodProblem(fields: Record<string, unknown>): string | null {
  const method = fields.token_endpoint_auth_method;
  if (method === undefined || method === PUBLIC_AUTH_METHOD) return null;
  const supported = fields.token_endpoint_auth_methods_supported;
  if (method === "private_key_jwt" && isStringArray(supported) && supported.includes(PUBLIC_AUTH_METHOD)) return null;
  return "it asks for a token endpoint authentication method other than none, and this server accepts only public clients";
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === "string");
}
