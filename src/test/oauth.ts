import type { OAuthClientProvider } from "@modelcontextprotocol/sdk/client/auth.js";
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from "@modelcontextprotocol/sdk/shared/auth.js";
import { createHash, randomBytes } from "node:crypto";
import type { CookieJar } from "./trpc-http";

// Test helpers for the OAuth flow the way MCP clients run it: the SDK's own auth() with an in-memory provider,
// and a signed-in browser answering the consent page (here as plain HTTP, as a form post would).

/** An OAuthClientProvider that keeps everything in memory and records the authorization URL it is sent to. */
export class InMemoryOAuthProvider implements OAuthClientProvider {
  client: OAuthClientInformationMixed | undefined;
  savedTokens: OAuthTokens | undefined;
  authorizationUrl: URL | undefined;
  private verifier = "";

  constructor(
    readonly redirectUrl: string,
    readonly clientMetadata: OAuthClientMetadata,
    readonly clientMetadataUrl?: string,
  ) {}

  clientInformation() {
    return this.client;
  }
  saveClientInformation(info: OAuthClientInformationMixed) {
    this.client = info;
  }
  tokens() {
    return this.savedTokens;
  }
  saveTokens(tokens: OAuthTokens) {
    this.savedTokens = tokens;
  }
  redirectToAuthorization(url: URL) {
    this.authorizationUrl = url;
  }
  saveCodeVerifier(verifier: string) {
    this.verifier = verifier;
  }
  codeVerifier() {
    return this.verifier;
  }
}

export function clientMetadata(redirectUri: string, overrides: Partial<OAuthClientMetadata> = {}): OAuthClientMetadata {
  return {
    client_name: "Test MCP client",
    redirect_uris: [redirectUri],
    grant_types: ["authorization_code", "refresh_token"],
    response_types: ["code"],
    token_endpoint_auth_method: "none",
    ...overrides,
  };
}

export interface ConsentAnswer {
  decision?: "allow" | "deny";
  /** The scopes left checked; all requested ones when absent. */
  granted?: string[];
}

/**
 * Opens the consent page as the signed-in user (asserting it is the consent page), then answers it the way the
 * browser submits the form. Returns the 303's Location: the client's redirect URI with code or error.
 */
export async function answerConsent(baseUrl: string, jar: CookieJar, authorizationUrl: URL | string, answer: ConsentAnswer = {}): Promise<URL> {
  const url = new URL(authorizationUrl);
  const page = await fetch(url, { headers: { cookie: jar.header() ?? "" }, redirect: "manual" });
  const html = await page.text();
  if (page.status !== 200 || !html.includes("Authorize ")) throw new Error(`expected the consent page, got ${page.status}: ${html.slice(0, 300)}`);
  const form = new URLSearchParams(url.searchParams);
  form.set("decision", answer.decision ?? "allow");
  const granted = answer.granted ?? [...html.matchAll(/name="granted"[^>]*? value="([^"]+)"/g)].map((match) => match[1] ?? "");
  for (const scope of granted) form.append("granted", scope);
  const response = await fetch(`${baseUrl}/oauth/authorize/decision`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: baseUrl, cookie: jar.header() ?? "" },
    body: form,
    redirect: "manual",
  });
  const location = response.headers.get("location");
  if (response.status !== 303 || !location) throw new Error(`expected a 303 from the consent form, got ${response.status}`);
  return new URL(location, baseUrl);
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

/** An authorization URL built by hand, for requests a well-behaved SDK would never make. */
export function authorizationUrl(baseUrl: string, params: Record<string, string | undefined>): URL {
  const url = new URL("/oauth/authorize", baseUrl);
  for (const [name, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(name, value);
  return url;
}

export async function postForm(url: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(form),
  });
}

export async function registerClient(baseUrl: string, metadata: Record<string, unknown>): Promise<Record<string, unknown> & { client_id: string; client_secret?: string }> {
  const response = await fetch(`${baseUrl}/oauth/register`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(metadata),
  });
  if (response.status !== 201) throw new Error(`registration failed: ${response.status} ${await response.text()}`);
  return (await response.json()) as Record<string, unknown> & { client_id: string; client_secret?: string };
}
