/**
 * Copies of the Client ID Metadata Documents of the best-known MCP clients, used ONLY when the live
 * fetch fails before any HTTP answer (DNS, connection, TLS, timeout): claude.ai has answered datacenter
 * fetchers with challenges and HTML (anthropics/claude-ai-mcp#96, #650), and a user should not lose the
 * connector because of a network blip. Never after a 3xx/4xx/5xx, never after an address refusal: a
 * vendor that withdraws or changes its document must win. A pinned copy still goes through the same
 * validation as a fetched one.
 *
 * Provenance (no live fetch was possible from here): each body below is the one reported, byte for byte
 * and in agreement, by several public repositories that captured the live documents between 2026-08-03
 * and 2026-09-29 (read through code search; brendanlong/lion-reader `src/server/oauth/cimd.ts` pins the
 * same Claude and Claude Code values, "vendored 2026-08-31"). When a vendor changes its document, replace
 * the copy here with the new body and its date.
 */
export const KNOWN_CLIENT_DOCUMENTS: ReadonlyMap<string, Readonly<Record<string, unknown>>> = new Map([
  [
    // Claude (claude.ai, Desktop, mobile). Served with `cache-control: public, max-age=300`.
    // Captures dated 2026-08-03, 2026-08-31 (lion-reader), 2026-09-21 and 2026-09-29 all agree.
    "https://claude.ai/oauth/mcp-oauth-client-metadata",
    {
      client_id: "https://claude.ai/oauth/mcp-oauth-client-metadata",
      client_name: "Claude",
      client_uri: "https://claude.ai",
      redirect_uris: ["https://claude.ai/api/mcp/auth_callback"],
      grant_types: ["authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:jwt-bearer"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
    },
  ],
  [
    // Claude Code. Portless loopback redirects: it listens on an ephemeral port (RFC 8252 §7.3).
    // Captures dated 2026-08-31 (lion-reader, without client_uri/response_types), 2026-09-08 and 2026-09-21.
    "https://claude.ai/oauth/claude-code-client-metadata",
    {
      client_id: "https://claude.ai/oauth/claude-code-client-metadata",
      client_name: "Claude Code",
      client_uri: "https://claude.ai",
      redirect_uris: ["http://localhost/callback", "http://127.0.0.1/callback"],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
    },
  ],
  [
    // ChatGPT. Names private_key_jwt but also lists "none": treated as a public client with PKCE.
    // Captures dated 2026-09-08 and 2026-09-21; a 2026-08-03 capture had only the plural
    // `token_endpoint_auth_methods_supported` (both shapes are accepted by the validator).
    "https://chatgpt.com/oauth/client.json",
    {
      client_id: "https://chatgpt.com/oauth/client.json",
      client_uri: "https://chatgpt.com/",
      redirect_uris: ["https://chatgpt.com/connector_platform_oauth_redirect"],
      token_endpoint_auth_method: "private_key_jwt",
      token_endpoint_auth_methods_supported: ["none", "private_key_jwt"],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      client_name: "ChatGPT",
      logo_uri: "https://persistent.oaistatic.com/sonic/misc/openai-logo.png",
      token_endpoint_auth_signing_alg: "RS256",
      jwks_uri: "https://chatgpt.com/oauth/jwks.json",
    },
  ],
  [
    // VS Code. Fixed port 33418, but falls back to a random one when it is busy (microsoft/vscode#278512).
    // Captures dated 2026-09-08 and 2026-09-21 agree.
    "https://vscode.dev/oauth/client-metadata.json",
    {
      client_name: "Visual Studio Code",
      logo_uri: "https://code.visualstudio.com/assets/branding/code-stable.png",
      grant_types: ["authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:device_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
      application_type: "native",
      client_id: "https://vscode.dev/oauth/client-metadata.json",
      client_uri: "https://vscode.dev/product",
      redirect_uris: ["http://127.0.0.1:33418/", "https://vscode.dev/redirect"],
    },
  ],
]);
