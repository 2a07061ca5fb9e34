import type { Database } from "~/server/db/client";
import { approveAuthorization } from "~/server/oauth/authorization";
import { findClient, registerClient } from "~/server/oauth/clients";
import { mcpResourceUrl } from "~/server/oauth/metadata";
import { exchangeAuthorizationCode } from "~/server/oauth/token-endpoint";
import type { TokenScope } from "~/server/tokens/scopes";
import { pkcePair, postForm } from "./oauth";

export interface IssuedOAuthTokens {
  clientId: string;
  accessToken: string;
  refreshToken: string;
}

/**
 * OAuth tokens for `userId`, issued the way the consent page and the token endpoint would: a public client
 * registered by DCR, the user's approval, the code exchanged with its PKCE verifier. With `serverUrl`, the tokens
 * are for that server (`db` being its database): the code is exchanged at its token endpoint, since the resource
 * must be its MCP URL. Without, everything happens in process for this process's APP_URL. Each call registers a
 * new client, so it starts a grant of its own.
 */
export async function issueOAuthTokens(db: Database, userId: string, scopes: TokenScope[], serverUrl?: string): Promise<IssuedOAuthTokens> {
  const redirectUri = "http://localhost/callback";
  const registration = await registerClient(db, {
    client_name: "In-process test client",
    redirect_uris: [redirectUri],
    grant_types: ["authorization_code", "refresh_token"],
    token_endpoint_auth_method: "none",
  });
  if (!registration.ok) throw new Error(registration.description);
  const found = await findClient(db, String(registration.response.client_id));
  if (!found.ok) throw new Error(found.description);
  const { client } = found;
  const { verifier, challenge } = pkcePair();
  const resource = serverUrl ? `${serverUrl}/api/mcp` : mcpResourceUrl();
  const location = new URL(await approveAuthorization(db, userId, { client, redirectUri, state: null, codeChallenge: challenge, scopes, resource }, scopes));
  const form = new URLSearchParams({ code: location.searchParams.get("code") ?? "", code_verifier: verifier, redirect_uri: redirectUri });

  let body: { access_token: string; refresh_token?: string };
  if (serverUrl) {
    form.set("grant_type", "authorization_code");
    form.set("client_id", client.clientId);
    const response = await postForm(`${serverUrl}/oauth/token`, Object.fromEntries(form));
    if (!response.ok) throw new Error(`token endpoint: ${response.status} ${await response.text()}`);
    body = (await response.json()) as typeof body;
  } else {
    const exchange = await exchangeAuthorizationCode(db, client, form);
    if (!exchange.ok) throw new Error(exchange.description);
    body = exchange.body;
  }
  if (!body.refresh_token) throw new Error("no refresh token issued");
  return { clientId: client.clientId, accessToken: body.access_token, refreshToken: body.refresh_token };
}
