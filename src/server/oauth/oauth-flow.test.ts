import { auth } from "@modelcontextprotocol/sdk/client/auth.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { createServer, get as httpGet, type Server } from "node:http";
import * as oauth from "oauth4webapi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callTool, connectMcpClient, futureSlot, INITIALIZE, postMcp } from "~/test/mcp-client";
import { startTestServer } from "~/test/fixtures";
import { answerConsent, authorizationUrl, clientMetadata, InMemoryOAuthProvider, pkcePair, postForm, registerClient } from "~/test/oauth";
import { freePort } from "~/test/server";
import { signUpOverHttp, type SignedUpClient } from "~/test/trpc-http";

// The whole OAuth flow through `next start`, as MCP clients run it: discovery, registration (DCR) or a client
// metadata document (CIMD, served by a local test server through the test build's switch), consent, tokens,
// MCP calls, refresh, revocation. On PostgreSQL when TEST_DATABASE_URL is set, else on PGlite.

const CIMD_BASE = "https://clients.test";
const cimdDocuments = new Map<string, unknown>();
let cimdRequests = 0;

describe("OAuth for MCP clients, over HTTP", () => {
  let cimdServer: Server;
  let person: SignedUpClient;
  let mcpUrl: URL;
  let cimdPort: number;

  beforeAll(async () => {
    cimdPort = await freePort();
    cimdServer = createServer((request, response) => {
      cimdRequests += 1;
      const document = cimdDocuments.get(request.url ?? "");
      if (document === undefined) {
        response.writeHead(404, { "Content-Type": "text/plain" }).end("not found");
        return;
      }
      response.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(document));
    });
    await new Promise<void>((resolve) => cimdServer.listen(cimdPort, "127.0.0.1", resolve));
  });
  const server = startTestServer({ env: () => ({ AUTH_RATE_LIMIT_PER_MINUTE: "1000", OAUTH_TOKEN_RATE_LIMIT_PER_MINUTE: "5", CIMD_TEST_ORIGIN: `http://127.0.0.1:${cimdPort}` }) });
  beforeAll(async () => {
    mcpUrl = new URL(`${server.url}/api/mcp`);
    person = await signUpOverHttp(server.url, { firstname: "Ada", surname: "Lovelace" });
  });

  afterAll(async () => {
    await new Promise((resolve) => cimdServer?.close(resolve));
  });

  /** SDK auth() from first 401 to tokens: discovery, registration or CIMD, consent, code exchange. */
  async function connectWithSdk(provider: InMemoryOAuthProvider, consent: Parameters<typeof answerConsent>[3] = {}) {
    expect(await auth(provider, { serverUrl: mcpUrl })).toBe("REDIRECT");
    if (!provider.authorizationUrl) throw new Error("no authorization URL");
    const callback = await answerConsent(server.url, person.jar, provider.authorizationUrl, consent);
    expect(callback.searchParams.get("iss")).toBe(server.url);
    const code = callback.searchParams.get("code");
    if (!code) throw new Error(`no code in ${callback.toString()}`);
    expect(await auth(provider, { serverUrl: mcpUrl, authorizationCode: code })).toBe("AUTHORIZED");
    return { callback };
  }

  async function mcpClientFor(provider: InMemoryOAuthProvider): Promise<Client> {
    const client = new Client({ name: "oauth-test", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider }));
    return client;
  }

  describe("discovery", () => {
    it("serves protected resource metadata at the path-inserted URL and at the root, naming us as the authorization server", async () => {
      for (const path of ["/.well-known/oauth-protected-resource/api/mcp", "/.well-known/oauth-protected-resource"]) {
        const response = await fetch(`${server.url}${path}`);
        expect(response.status).toBe(200);
        expect(response.headers.get("access-control-allow-origin")).toBe("*");
        expect(await response.json()).toMatchObject({ resource: `${server.url}/api/mcp`, authorization_servers: [server.url] });
      }
    });

    it("serves the same authorization server metadata at every place clients look, issuer byte for byte", async () => {
      const paths = ["/.well-known/oauth-authorization-server", "/.well-known/oauth-authorization-server/api/mcp", "/.well-known/openid-configuration"];
      const documents = await Promise.all(paths.map(async (path) => (await fetch(`${server.url}${path}`)).json() as Promise<Record<string, unknown>>));
      for (const document of documents) {
        expect(document).toEqual(documents[0]);
        expect(document).toMatchObject({
          issuer: server.url,
          authorization_endpoint: `${server.url}/oauth/authorize`,
          token_endpoint: `${server.url}/oauth/token`,
          registration_endpoint: `${server.url}/oauth/register`,
          revocation_endpoint: `${server.url}/oauth/revoke`,
          code_challenge_methods_supported: ["S256"],
          client_id_metadata_document_supported: true,
          authorization_response_iss_parameter_supported: true,
          scopes_supported: ["read:data", "write:bookings", "offline_access"],
        });
        expect(document.token_endpoint_auth_methods_supported).toContain("none");
      }
    });

    it("challenges an unauthenticated MCP call with resource_metadata and scope", async () => {
      const response = await postMcp(server.url);
      expect(response.status).toBe(401);
      const challenge = response.headers.get("www-authenticate") ?? "";
      expect(challenge).toContain(`resource_metadata="${server.url}/.well-known/oauth-protected-resource/api/mcp"`);
      expect(challenge).toContain('scope="read:data write:bookings"');
    });
  });

  describe("with the MCP SDK client", () => {
    it("registers (DCR), signs in through consent and calls tools; the grant shows under Connected apps", async () => {
      const provider = new InMemoryOAuthProvider("http://127.0.0.1:33418/callback", clientMetadata("http://127.0.0.1:33418/callback", { client_name: "SDK client" }));
      await connectWithSdk(provider);
      expect(provider.client?.client_id).toMatch(/^dcr_/);
      expect(provider.savedTokens?.access_token).toMatch(/^mcpo_/);
      expect(provider.savedTokens?.refresh_token).toMatch(/^mcpr_/);
      expect(provider.savedTokens?.expires_in).toBe(3600);

      const client = await mcpClientFor(provider);
      const whoami = await callTool(client, "whoami");
      expect(whoami.structuredContent).toMatchObject({ user: { email: person.email }, token: { name: "SDK client", scopes: ["read:data", "write:bookings"] } });
      // A booking made through the connection shows the app's name where bookings show a token's name.
      const booked = await callTool(client, "bookings_create", { hospital_id: "paris-necker", specialty: "pediatrie", starts_at: futureSlot(20) });
      const { id } = (booked.structuredContent as { booking: { id: string; token_name: string } }).booking;
      expect((await person.client.bookings.list.query()).find((booking) => booking.id === id)).toMatchObject({ tokenName: "SDK client" });
      await client.close();

      const apps = await person.client.connectedApps.list.query();
      expect(apps.find((app) => app.clientName === "SDK client")).toMatchObject({ clientHost: null, redirectHost: "127.0.0.1:33418", scopes: ["read:data", "write:bookings"] });
    });

    it("uses a client metadata document (CIMD) when it has one: no registration, the consent page leads with its host", async () => {
      const clientId = `${CIMD_BASE}/claude-code.json`;
      // Claude Code's shape: portless loopback redirect URIs, and it calls back on whatever port it got.
      cimdDocuments.set("/claude-code.json", {
        client_id: clientId,
        client_name: "Claude Code (test)",
        redirect_uris: ["http://localhost/callback", "http://127.0.0.1/callback"],
        grant_types: ["authorization_code", "refresh_token"],
        response_types: ["code"],
        token_endpoint_auth_method: "none",
      });
      const redirect = "http://localhost:51234/callback";
      const provider = new InMemoryOAuthProvider(redirect, clientMetadata(redirect), clientId);
      expect(await auth(provider, { serverUrl: mcpUrl })).toBe("REDIRECT");
      expect(provider.authorizationUrl?.searchParams.get("client_id")).toBe(clientId);
      const page = await (await fetch(provider.authorizationUrl ?? "", { headers: { cookie: person.jar.header() ?? "" } })).text();
      expect(page).toContain("Authorize <bdi>Claude Code (test)</bdi>");
      expect(page).toContain("clients.test");
      expect(page).toContain("localhost:51234");

      const callback = await answerConsent(server.url, person.jar, provider.authorizationUrl ?? "");
      expect(`${callback.origin}${callback.pathname}`).toBe(redirect);
      expect(await auth(provider, { serverUrl: mcpUrl, authorizationCode: callback.searchParams.get("code") ?? "" })).toBe("AUTHORIZED");
      const client = await mcpClientFor(provider);
      expect((await client.listTools()).tools.length).toBe(6);
      await client.close();
      const apps = await person.client.connectedApps.list.query();
      expect(apps.find((app) => app.clientName === "Claude Code (test)")).toMatchObject({ clientHost: "clients.test" });
    });

    it("accepts ChatGPT's document (private_key_jwt offered beside none) as a public client", async () => {
      const clientId = `${CIMD_BASE}/chatgpt.json`;
      const redirect = "https://chatgpt.example/connector_platform_oauth_redirect";
      cimdDocuments.set("/chatgpt.json", {
        client_id: clientId,
        client_name: "ChatGPT (test)",
        redirect_uris: [redirect],
        grant_types: ["authorization_code", "refresh_token"],
        token_endpoint_auth_method: "private_key_jwt",
        token_endpoint_auth_methods_supported: ["none", "private_key_jwt"],
        jwks_uri: "https://chatgpt.example/jwks.json",
      });
      const { verifier, challenge } = pkcePair();
      // ChatGPT omits scope when it reconnects: all of ours, by default.
      const url = authorizationUrl(server.url, { client_id: clientId, redirect_uri: redirect, response_type: "code", code_challenge: challenge, code_challenge_method: "S256", state: "s1" });
      const callback = await answerConsent(server.url, person.jar, url);
      expect(callback.searchParams.get("state")).toBe("s1");
      const response = await postForm(`${server.url}/oauth/token`, { grant_type: "authorization_code", client_id: clientId, code: callback.searchParams.get("code") ?? "", code_verifier: verifier, redirect_uri: redirect });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ token_type: "Bearer", scope: "read:data write:bookings" });
    });

    it("shows an error page with 404, and never redirects, for an unregistered redirect URI or an unknown client", async () => {
      const registered = await registerClient(server.url, { redirect_uris: ["https://app.example/callback"], token_endpoint_auth_method: "none", client_name: "Strict" });
      const { challenge } = pkcePair();
      const common = { response_type: "code", code_challenge: challenge, code_challenge_method: "S256" };
      for (const params of [
        { client_id: registered.client_id, redirect_uri: "https://evil.example/callback", ...common },
        { client_id: registered.client_id, redirect_uri: "https://app.example/callback/other", ...common },
        { client_id: "dcr_00000000000000000000000000000000", redirect_uri: "https://app.example/callback", ...common },
        { client_id: `${CIMD_BASE}/missing.json`, redirect_uri: "https://app.example/callback", ...common },
      ]) {
        const response = await fetch(authorizationUrl(server.url, params), { headers: { cookie: person.jar.header() ?? "" }, redirect: "manual" });
        expect(response.status).toBe(404);
        expect(response.headers.get("location")).toBeNull();
        expect(await response.text()).toContain("This sign-in link cannot be used");
      }
    });

    it("is no open redirect: a registered but unverified redirect URI never gets an error before the consent page", async () => {
      // The outside review's request: an attacker registers its own site, then sends a link with an
      // unsupported response_type to someone who is not signed in.
      const evil = await registerClient(server.url, { redirect_uris: ["https://evil.example/landing"], token_endpoint_auth_method: "none", client_name: "Evil" });
      const { challenge } = pkcePair();
      const base = { client_id: evil.client_id, redirect_uri: "https://evil.example/landing", code_challenge: challenge, code_challenge_method: "S256" };
      for (const params of [{ ...base, response_type: "token" }, { ...base, response_type: "code", code_challenge_method: "plain" }, { ...base, response_type: "code", scope: "admin" }]) {
        for (const cookie of [undefined, person.jar.header() ?? ""]) {
          const response = await fetch(authorizationUrl(server.url, params), { headers: cookie ? { cookie } : {}, redirect: "manual" });
          expect(response.status).toBe(404);
          expect(response.headers.get("location")).toBeNull();
          const text = await response.text();
          expect(text).toContain("This sign-in link cannot be used");
          expect(text).not.toContain("evil.example/landing?");
        }
      }
    });

    it("fetches at most 30 unknown metadata documents a minute for one address, then says when to try again", async () => {
      // From an address of its own (127.0.0.5), so that no other test's fetches count.
      const pageFrom = (url: URL) =>
        new Promise<{ status: number; text: string }>((resolve, reject) => {
          const request = httpGet(url, { localAddress: "127.0.0.5" }, (response) => {
            let text = "";
            response.on("data", (chunk: Buffer) => (text += chunk.toString()));
            response.on("end", () => resolve({ status: response.statusCode ?? 0, text }));
          });
          request.on("error", reject);
        });
      const { challenge } = pkcePair();
      const lookUp = (n: number) =>
        pageFrom(
          authorizationUrl(server.url, {
            client_id: `${CIMD_BASE}/made-up-${Date.now()}-${n}.json`,
            redirect_uri: "https://app.example/callback",
            response_type: "code",
            code_challenge: challenge,
            code_challenge_method: "S256",
          }),
        );
      const fetchesBefore = cimdRequests;
      for (let n = 0; n < 30; n++) {
        const page = await lookUp(n);
        expect(page.status).toBe(404);
        expect(page.text).not.toContain("Too many applications");
      }
      expect(cimdRequests - fetchesBefore).toBe(30);
      const refused = await lookUp(30);
      expect(refused.status).toBe(404);
      expect(refused.text).toMatch(/Too many applications Carestral did not know yet were looked up from your address/);
      expect(cimdRequests - fetchesBefore).toBe(30);
    });

    it("shows protocol errors on its own page (missing PKCE, plain PKCE, another resource, unknown scope), and sends Deny back with iss", async () => {
      const redirect = "http://127.0.0.1/cb";
      const registered = await registerClient(server.url, { redirect_uris: [redirect], token_endpoint_auth_method: "none" });
      const { challenge } = pkcePair();
      const base = { client_id: registered.client_id, redirect_uri: redirect, response_type: "code", state: "xyz" };
      const expectErrorRedirect = async (params: Record<string, string>, error: string) => {
        const response = await fetch(authorizationUrl(server.url, params), { headers: { cookie: person.jar.header() ?? "" }, redirect: "manual" });
        expect(response.status).toBe(404);
        expect(response.headers.get("location")).toBeNull();
        expect(await response.text()).toContain(`(${error})`);
      };
      await expectErrorRedirect(base, "invalid_request");
      await expectErrorRedirect({ ...base, code_challenge: challenge, code_challenge_method: "plain" }, "invalid_request");
      await expectErrorRedirect({ ...base, code_challenge: challenge, code_challenge_method: "S256", resource: "https://other.example/api/mcp" }, "invalid_target");
      await expectErrorRedirect({ ...base, code_challenge: challenge, code_challenge_method: "S256", scope: "admin" }, "invalid_scope");

      // A private-use scheme (Cursor's) the same.
      const cursor = await registerClient(server.url, { redirect_uris: ["cursor://anysphere.cursor-mcp/oauth/callback"], token_endpoint_auth_method: "none" });
      const cursorError = await fetch(authorizationUrl(server.url, { client_id: cursor.client_id, redirect_uri: "cursor://anysphere.cursor-mcp/oauth/callback", response_type: "code" }), {
        headers: { cookie: person.jar.header() ?? "" },
        redirect: "manual",
      });
      expect(cursorError.status).toBe(404);
      expect(cursorError.headers.get("location")).toBeNull();

      const denied = await answerConsent(server.url, person.jar, authorizationUrl(server.url, { ...base, code_challenge: challenge, code_challenge_method: "S256" }), { decision: "deny" });
      expect(denied.searchParams.get("error")).toBe("access_denied");
      expect(denied.searchParams.get("iss")).toBe(server.url);
      expect(denied.searchParams.get("code")).toBeNull();
    });

    it("refuses a consent answer posted from another site (the app's Origin rule), and never frames the page", async () => {
      const registered = await registerClient(server.url, { redirect_uris: ["http://127.0.0.1/cb"], token_endpoint_auth_method: "none" });
      const url = authorizationUrl(server.url, { client_id: registered.client_id, redirect_uri: "http://127.0.0.1/cb", response_type: "code", code_challenge: pkcePair().challenge, code_challenge_method: "S256" });
      const page = await fetch(url, { headers: { cookie: person.jar.header() ?? "" } });
      expect(page.headers.get("x-frame-options")).toBe("DENY");
      expect(page.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
      const form = new URLSearchParams(url.searchParams);
      form.set("decision", "allow");
      form.append("granted", "read:data");
      for (const origin of ["https://evil.example", undefined]) {
        const response = await fetch(`${server.url}/oauth/authorize/decision`, {
          method: "POST",
          headers: { "Content-Type": "application/x-www-form-urlencoded", cookie: person.jar.header() ?? "", ...(origin ? { Origin: origin } : {}) },
          body: form,
          redirect: "manual",
        });
        expect(response.status).toBe(403);
        expect(response.headers.get("location")).toBeNull();
      }
    });

    it("sends a signed-out visitor to sign in and back to the consent page", async () => {
      const registered = await registerClient(server.url, { redirect_uris: ["http://127.0.0.1/cb"], token_endpoint_auth_method: "none" });
      const url = authorizationUrl(server.url, { client_id: registered.client_id, redirect_uri: "http://127.0.0.1/cb", response_type: "code", code_challenge: pkcePair().challenge, code_challenge_method: "S256" });
      const response = await fetch(url, { redirect: "manual" });
      const location = new URL(response.headers.get("location") ?? "", server.url);
      expect(location.pathname).toBe("/login");
      expect(location.searchParams.get("next")).toBe(`${url.pathname}${url.search}`);
    });
  });

  describe("the token endpoint", () => {
    async function codeFor(clientId: string, redirect: string, extra: Record<string, string> = {}) {
      const { verifier, challenge } = pkcePair();
      const url = authorizationUrl(server.url, { client_id: clientId, redirect_uri: redirect, response_type: "code", code_challenge: challenge, code_challenge_method: "S256", ...extra });
      const callback = await answerConsent(server.url, person.jar, url);
      return { code: callback.searchParams.get("code") ?? "", verifier };
    }

    it("refuses a wrong PKCE verifier, a replayed code (revoking what it issued) and a redirect URI that differs", async () => {
      const redirect = "http://127.0.0.1/cb";
      const { client_id } = await registerClient(server.url, { redirect_uris: [redirect], token_endpoint_auth_method: "none", grant_types: ["authorization_code", "refresh_token"] });
      const exchange = (code: string, verifier: string, redirectUri = redirect) =>
        postForm(`${server.url}/oauth/token`, { grant_type: "authorization_code", client_id, code, code_verifier: verifier, redirect_uri: redirectUri });

      const wrongVerifier = await codeFor(client_id, redirect);
      const refused = await exchange(wrongVerifier.code, pkcePair().verifier);
      expect(refused.status).toBe(400);
      expect(refused.headers.get("cache-control")).toBe("no-store");
      expect(await refused.json()).toMatchObject({ error: "invalid_grant" });

      const otherRedirect = await codeFor(client_id, "http://127.0.0.1:4000/cb");
      expect(await (await exchange(otherRedirect.code, otherRedirect.verifier, redirect)).json()).toMatchObject({ error: "invalid_grant" });

      const good = await codeFor(client_id, redirect);
      const first = await exchange(good.code, good.verifier);
      expect(first.status).toBe(200);
      const tokens = (await first.json()) as { access_token: string };
      expect((await postMcp(server.url, { headers: { Authorization: `Bearer ${tokens.access_token}` } })).status).toBe(200);
      const replay = await exchange(good.code, good.verifier);
      expect(await replay.json()).toMatchObject({ error: "invalid_grant" });
      expect((await postMcp(server.url, { headers: { Authorization: `Bearer ${tokens.access_token}` } })).status).toBe(401);
    });

    it("a replayed code revokes only what that code issued (refreshed or not), not the app's other sign-ins on the same connection", async () => {
      const redirect = "http://127.0.0.1/replay-cb";
      const { client_id } = await registerClient(server.url, { redirect_uris: [redirect], token_endpoint_auth_method: "none", grant_types: ["authorization_code", "refresh_token"], client_name: "Replay app" });
      type Pair = { access_token: string; refresh_token: string };
      const exchange = async (grant: { code: string; verifier: string }) =>
        postForm(`${server.url}/oauth/token`, { grant_type: "authorization_code", client_id, code: grant.code, code_verifier: grant.verifier, redirect_uri: redirect });
      const refresh = async (token: string) => (await (await postForm(`${server.url}/oauth/token`, { grant_type: "refresh_token", client_id, refresh_token: token })).json()) as Pair;
      const live = (token: string) => postMcp(server.url, { headers: { Authorization: `Bearer ${token}` } }).then((response) => response.status);

      const stolen = await codeFor(client_id, redirect);
      const stolenPair = await refresh(((await (await exchange(stolen)).json()) as Pair).refresh_token);
      // The same person signs the same app in again (another machine): the same connection, a second chain.
      const other = await codeFor(client_id, redirect);
      const otherPair = (await (await exchange(other)).json()) as Pair;
      expect(await live(stolenPair.access_token)).toBe(200);

      const replay = await exchange(stolen);
      expect(replay.status).toBe(400);
      expect(await replay.json()).toMatchObject({ error: "invalid_grant" });
      expect(await live(stolenPair.access_token)).toBe(401);
      expect(await (await postForm(`${server.url}/oauth/token`, { grant_type: "refresh_token", client_id, refresh_token: stolenPair.refresh_token })).json()).toMatchObject({ error: "invalid_grant" });

      expect(await live(otherPair.access_token)).toBe(200);
      const refreshed = await refresh(otherPair.refresh_token);
      expect(await live(refreshed.access_token)).toBe(200);
      expect((await person.client.connectedApps.list.query()).map((app) => app.clientName)).toContain("Replay app");
    });

    it("an app revoking one sign-in's refresh token (RFC 7009) ends that sign-in only: its other sign-ins on the same connection keep working", async () => {
      const redirect = "http://127.0.0.1/revoke-cb";
      const { client_id } = await registerClient(server.url, { redirect_uris: [redirect], token_endpoint_auth_method: "none", grant_types: ["authorization_code", "refresh_token"], client_name: "Two machines app" });
      type Pair = { access_token: string; refresh_token: string };
      const exchange = async (grant: { code: string; verifier: string }) =>
        (await (await postForm(`${server.url}/oauth/token`, { grant_type: "authorization_code", client_id, code: grant.code, code_verifier: grant.verifier, redirect_uri: redirect })).json()) as Pair;
      const refresh = (token: string) => postForm(`${server.url}/oauth/token`, { grant_type: "refresh_token", client_id, refresh_token: token });
      const live = (token: string) => postMcp(server.url, { headers: { Authorization: `Bearer ${token}` } }).then((response) => response.status);

      const signedOut = (await (await refresh((await exchange(await codeFor(client_id, redirect))).refresh_token)).json()) as Pair;
      const other = await exchange(await codeFor(client_id, redirect));
      const revoked = await postForm(`${server.url}/oauth/revoke`, { token: signedOut.refresh_token, client_id });
      expect(revoked.status).toBe(200);
      expect(await live(signedOut.access_token)).toBe(401);
      expect(await (await refresh(signedOut.refresh_token)).json()).toMatchObject({ error: "invalid_grant" });

      expect(await live(other.access_token)).toBe(200);
      const refreshed = await refresh(other.refresh_token);
      expect(refreshed.status).toBe(200);
      expect(await live(((await refreshed.json()) as Pair).access_token)).toBe(200);
      const app = (await person.client.connectedApps.list.query()).find((listed) => listed.clientName === "Two machines app");
      expect(app?.revokedAt).toBeNull();
    });

    it("a wrong PKCE verifier (or another redirect URI, or resource) does not burn the code: the real client's exchange still works", async () => {
      const redirect = "http://127.0.0.1/cb";
      const { client_id } = await registerClient(server.url, { redirect_uris: [redirect], token_endpoint_auth_method: "none", grant_types: ["authorization_code", "refresh_token"] });
      const exchange = (fields: Record<string, string>) => postForm(`${server.url}/oauth/token`, { grant_type: "authorization_code", client_id, redirect_uri: redirect, ...fields });
      const leaked = await codeFor(client_id, redirect);
      const attempts: Record<string, string>[] = [
        { code: leaked.code, code_verifier: pkcePair().verifier },
        { code: leaked.code, code_verifier: leaked.verifier, redirect_uri: "http://127.0.0.1/other" },
        { code: leaked.code, code_verifier: leaked.verifier, resource: "https://other.example/api/mcp" },
      ];
      for (const attempt of attempts) {
        const refused = await exchange(attempt);
        expect(refused.status).toBe(400);
      }
      const real = await exchange({ code: leaked.code, code_verifier: leaked.verifier });
      expect(real.status).toBe(200);
      const tokens = (await real.json()) as { access_token: string };
      expect((await postMcp(server.url, { headers: { Authorization: `Bearer ${tokens.access_token}` } })).status).toBe(200);
    });

    it("a refresh ends the access token it replaces, and one connection gets at most OAUTH_TOKEN_RATE_LIMIT_PER_MINUTE tokens a minute", async () => {
      const redirect = "http://127.0.0.1/cb";
      const { client_id } = await registerClient(server.url, { redirect_uris: [redirect], token_endpoint_auth_method: "none", grant_types: ["authorization_code", "refresh_token"] });
      const { code, verifier } = await codeFor(client_id, redirect);
      let pair = (await (await postForm(`${server.url}/oauth/token`, { grant_type: "authorization_code", client_id, code, code_verifier: verifier, redirect_uri: redirect })).json()) as {
        access_token: string;
        refresh_token: string;
      };
      const refresh = (token: string) => postForm(`${server.url}/oauth/token`, { grant_type: "refresh_token", client_id, refresh_token: token });
      const live = (token: string) => postMcp(server.url, { headers: { Authorization: `Bearer ${token}` } }).then((response) => response.status);
      const first = pair.access_token;
      expect(await live(first)).toBe(200);
      pair = (await (await refresh(pair.refresh_token)).json()) as typeof pair;
      expect(await live(first)).toBe(401);
      expect(await live(pair.access_token)).toBe(200);

      // The code exchange and that refresh were 2 of the 5 a minute this server allows one connection.
      for (let n = 2; n < 5; n++) {
        const response = await refresh(pair.refresh_token);
        expect(response.status).toBe(200);
        pair = (await response.json()) as typeof pair;
      }
      const refused = await refresh(pair.refresh_token);
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(await refused.json()).toMatchObject({ error: "invalid_request" });
      // Refused without harm: the refresh token was not spent, and the last access token still works.
      expect(await live(pair.access_token)).toBe(200);
    });

    it("rotates refresh tokens; a parallel replay within the grace window still works; refresh tokens never call /api/mcp", async () => {
      const redirect = "http://127.0.0.1/cb";
      const { client_id } = await registerClient(server.url, { redirect_uris: [redirect], token_endpoint_auth_method: "none", grant_types: ["authorization_code", "refresh_token"] });
      const { code, verifier } = await codeFor(client_id, redirect);
      const initial = (await (await postForm(`${server.url}/oauth/token`, { grant_type: "authorization_code", client_id, code, code_verifier: verifier, redirect_uri: redirect })).json()) as {
        refresh_token: string;
      };
      expect((await postMcp(server.url, { headers: { Authorization: `Bearer ${initial.refresh_token}` } })).status).toBe(401);

      const refresh = (token: string) => postForm(`${server.url}/oauth/token`, { grant_type: "refresh_token", client_id, refresh_token: token });
      const [a, b] = await Promise.all([refresh(initial.refresh_token), refresh(initial.refresh_token)]);
      expect(a.status).toBe(200);
      expect(b.status).toBe(200);
      const pairA = (await a.json()) as { access_token: string; refresh_token: string };
      const pairB = (await b.json()) as { access_token: string; refresh_token: string };
      expect(pairA.refresh_token).not.toBe(initial.refresh_token);
      expect(pairA.refresh_token).not.toBe(pairB.refresh_token);
      for (const pair of [pairA, pairB]) expect((await postMcp(server.url, { headers: { Authorization: `Bearer ${pair.access_token}` } })).status).toBe(200);
      const next = await refresh(pairA.refresh_token);
      expect(next.status).toBe(200);
    });

    it("honours client_secret_post and client_secret_basic registrations, and answers invalid_client without the secret", async () => {
      for (const method of ["client_secret_post", "client_secret_basic"] as const) {
        const redirect = "https://claude.example/api/mcp/auth_callback";
        const registered = await registerClient(server.url, { redirect_uris: [redirect], token_endpoint_auth_method: method, grant_types: ["authorization_code", "refresh_token"], client_name: `Confidential ${method}` });
        expect(registered.client_secret).toMatch(/^mcps_/);
        expect(registered).not.toHaveProperty("client_uri");
        const { code, verifier } = await codeFor(registered.client_id, redirect);
        const form = { grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: redirect };
        const noSecret = await postForm(`${server.url}/oauth/token`, { ...form, client_id: registered.client_id });
        expect(noSecret.status).toBe(401);
        expect(await noSecret.json()).toMatchObject({ error: "invalid_client" });
        const secret = registered.client_secret ?? "";
        const { code: code2, verifier: verifier2 } = await codeFor(registered.client_id, redirect);
        const form2 = { grant_type: "authorization_code", code: code2, code_verifier: verifier2, redirect_uri: redirect };
        const response =
          method === "client_secret_post"
            ? await postForm(`${server.url}/oauth/token`, { ...form2, client_id: registered.client_id, client_secret: secret })
            : await postForm(`${server.url}/oauth/token`, form2, { Authorization: `Basic ${Buffer.from(`${registered.client_id}:${secret}`).toString("base64")}` });
        expect(response.status).toBe(200);
      }
    });

    it("lets browser-based clients call it cross-origin (CORS), past the app's Origin rule", async () => {
      const preflight = await fetch(`${server.url}/oauth/token`, { method: "OPTIONS", headers: { Origin: "http://localhost:6274", "Access-Control-Request-Method": "POST" } });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get("access-control-allow-origin")).toBe("*");
      const token = await postForm(`${server.url}/oauth/token`, { grant_type: "authorization_code", client_id: "dcr_00000000000000000000000000000000", code: "x", code_verifier: "y", redirect_uri: "http://127.0.0.1/cb" }, { Origin: "http://localhost:6274" });
      expect(token.status).toBe(401);
      expect(token.headers.get("access-control-allow-origin")).toBe("*");
      expect(await token.json()).toMatchObject({ error: "invalid_client" });
      const register = await fetch(`${server.url}/oauth/register`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Origin: "http://localhost:6274" },
        body: JSON.stringify({ redirect_uris: ["http://localhost:6274/oauth/callback"], token_endpoint_auth_method: "none" }),
      });
      expect(register.status).toBe(201);
    });

    it("bounds a registration's body like a metadata document's (5 KiB): larger is 413 and registers nothing", async () => {
      const register = (contacts: string[]) =>
        fetch(`${server.url}/oauth/register`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ redirect_uris: ["http://127.0.0.1/cb"], token_endpoint_auth_method: "none", client_name: "Sized", contacts }),
        });
      expect((await register(["a".repeat(150)])).status).toBe(201);
      const tooLarge = await register(["a".repeat(3000), "b".repeat(3000)]);
      expect(tooLarge.status).toBe(413);
      expect(await tooLarge.json()).toMatchObject({ error: "invalid_request" });
    });

    it("refuses malformed requests with RFC 6749 errors, never a 500", async () => {
      const json = await fetch(`${server.url}/oauth/token`, { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" });
      expect(json.status).toBe(400);
      expect(await json.json()).toMatchObject({ error: "invalid_request" });
      expect(await (await postForm(`${server.url}/oauth/token`, { grant_type: "password" })).json()).toMatchObject({ error: "unsupported_grant_type" });
      expect(await (await postForm(`${server.url}/oauth/token`, { grant_type: "authorization_code" })).json()).toMatchObject({ error: "invalid_request" });
      const unknown = await postForm(`${server.url}/oauth/token`, { grant_type: "refresh_token", client_id: "dcr_00000000000000000000000000000000", refresh_token: "x" });
      expect(unknown.status).toBe(401);
      const register = await fetch(`${server.url}/oauth/register`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ redirect_uris: ["http://evil.example/cb"] }) });
      expect(register.status).toBe(400);
      expect(await register.json()).toMatchObject({ error: "invalid_redirect_uri" });
      const cursor = await registerClient(server.url, {
        redirect_uris: ["cursor://anysphere.cursor-mcp/oauth/callback", "https://www.cursor.com/agents/mcp/oauth/callback", "http://localhost:8787/callback"],
        token_endpoint_auth_method: "none",
        client_name: "Cursor",
      });
      expect(cursor.redirect_uris).toHaveLength(3);
    });
  });

  describe("the resource server", () => {
    it("answers 403 insufficient_scope to an OAuth token calling a tool outside its scopes, naming what to ask for", async () => {
      const redirect = "http://127.0.0.1:40001/callback";
      const provider = new InMemoryOAuthProvider(redirect, clientMetadata(redirect, { client_name: "Reader app" }));
      await connectWithSdk(provider, { granted: ["read:data"] });
      expect(provider.savedTokens?.scope).toBe("read:data");
      const token = provider.savedTokens?.access_token ?? "";
      const call = await postMcp(server.url, {
        headers: { Authorization: `Bearer ${token}` },
        body: JSON.stringify({ jsonrpc: "2.0", id: 7, method: "tools/call", params: { name: "bookings_cancel", arguments: { booking_id: crypto.randomUUID() } } }),
      });
      expect(call.status).toBe(403);
      const challenge = call.headers.get("www-authenticate") ?? "";
      expect(challenge).toContain('error="insufficient_scope"');
      expect(challenge).toContain('scope="read:data write:bookings"');
      expect(challenge).toContain(`resource_metadata="${server.url}/.well-known/oauth-protected-resource/api/mcp"`);
      expect(await call.json()).toMatchObject({ id: 7, error: { message: expect.stringContaining("write:bookings") } });
      // Within its scopes it works.
      const list = await postMcp(server.url, { headers: { Authorization: `Bearer ${token}` }, body: JSON.stringify({ jsonrpc: "2.0", id: 8, method: "tools/list" }) });
      expect(list.status).toBe(200);
    });

    it("refuses the next request once the connection is revoked from the dashboard, and the refresh token with it", async () => {
      const redirect = "http://127.0.0.1:40002/callback";
      const provider = new InMemoryOAuthProvider(redirect, clientMetadata(redirect, { client_name: "Doomed app" }));
      await connectWithSdk(provider);
      const token = provider.savedTokens?.access_token ?? "";
      expect((await postMcp(server.url, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(200);
      const app = (await person.client.connectedApps.list.query()).find((row) => row.clientName === "Doomed app");
      if (!app) throw new Error("the grant is not listed");
      await person.client.connectedApps.revoke.mutate({ id: app.id });
      const refused = await postMcp(server.url, { headers: { Authorization: `Bearer ${token}` } });
      expect(refused.status).toBe(401);
      expect(refused.headers.get("www-authenticate")).toContain("revoked");
      const refresh = await postForm(`${server.url}/oauth/token`, { grant_type: "refresh_token", client_id: String(provider.client?.client_id), refresh_token: provider.savedTokens?.refresh_token ?? "" });
      expect(await refresh.json()).toMatchObject({ error: "invalid_grant" });
      // Still listed, as revoked (the trail keeps it).
      expect((await person.client.connectedApps.list.query()).find((row) => row.id === app.id)?.revokedAt).toBeTruthy();
      await expect(person.client.connectedApps.revoke.mutate({ id: app.id })).rejects.toThrow(/No such connected app/);
    });

    it("keeps personal tokens working beside OAuth", async () => {
      const { token } = await person.client.tokens.generate.mutate({ name: "Beside OAuth", scopes: ["read:data"], expiresInDays: 7 });
      const client = await connectMcpClient(server.url, token);
      expect((await callTool(client, "whoami")).structuredContent).toMatchObject({ token: { name: "Beside OAuth" } });
      await client.close();
      const list = await person.client.tokens.list.query();
      expect(list.every((row) => row.prefix.startsWith("mcp_"))).toBe(true);
    });
  });

  describe("with a strict independent client (oauth4webapi)", () => {
    it("completes the flow: discovery, registration, PKCE, iss on the authorization response, code, refresh, revocation", async () => {
      const issuer = new URL(server.url);
      const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { [oauth.allowInsecureRequests]: true }));
      const redirect = "http://127.0.0.1:45678/strict";
      const registered = await oauth.processDynamicClientRegistrationResponse(
        await oauth.dynamicClientRegistrationRequest(
          as,
          { redirect_uris: [redirect], token_endpoint_auth_method: "client_secret_post", grant_types: ["authorization_code", "refresh_token"], client_name: "Strict client" },
          { [oauth.allowInsecureRequests]: true },
        ),
      );
      expect(registered.client_id).toMatch(/^dcr_/);
      const client: oauth.Client = { client_id: registered.client_id };
      const clientAuth = oauth.ClientSecretPost(typeof registered.client_secret === "string" ? registered.client_secret : "");
      const verifier = oauth.generateRandomCodeVerifier();
      const state = oauth.generateRandomState();
      const url = new URL(as.authorization_endpoint ?? "");
      url.searchParams.set("client_id", client.client_id);
      url.searchParams.set("redirect_uri", redirect);
      url.searchParams.set("response_type", "code");
      url.searchParams.set("scope", "read:data");
      url.searchParams.set("state", state);
      url.searchParams.set("resource", `${server.url}/api/mcp`);
      url.searchParams.set("code_challenge", await oauth.calculatePKCECodeChallenge(verifier));
      url.searchParams.set("code_challenge_method", "S256");
      const callback = await answerConsent(server.url, person.jar, url);
      const params = oauth.validateAuthResponse(as, client, callback, state);
      const response = await oauth.authorizationCodeGrantRequest(as, client, clientAuth, params, redirect, verifier, {
        [oauth.allowInsecureRequests]: true,
        additionalParameters: { resource: `${server.url}/api/mcp` },
      });
      const tokens = await oauth.processAuthorizationCodeResponse(as, client, response);
      expect(tokens.access_token).toMatch(/^mcpo_/);
      expect(tokens.scope).toBe("read:data");

      const refreshed = await oauth.processRefreshTokenResponse(
        as,
        client,
        await oauth.refreshTokenGrantRequest(as, client, clientAuth, tokens.refresh_token ?? "", { [oauth.allowInsecureRequests]: true }),
      );
      expect(refreshed.access_token).not.toBe(tokens.access_token);

      const revoked = await oauth.revocationRequest(as, client, clientAuth, refreshed.refresh_token ?? "", { [oauth.allowInsecureRequests]: true });
      await oauth.processRevocationResponse(revoked);
      expect((await postMcp(server.url, { headers: { Authorization: `Bearer ${refreshed.access_token}` } })).status).toBe(401);
    });

    it("finds us through /.well-known/openid-configuration, its default, and through RFC 8414; neither claims OpenID Connect", async () => {
      const issuer = new URL(server.url);
      const options = { [oauth.allowInsecureRequests]: true };
      const oidc = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, options));
      const rfc8414 = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { ...options, algorithm: "oauth2" }));
      expect(oidc).toEqual(rfc8414);
      // No ID tokens: nothing of OpenID Connect is advertised, so no client mistakes us for a provider.
      expect(oidc.scopes_supported).not.toContain("openid");
      expect(oidc.response_types_supported).toEqual(["code"]);
      expect(oidc).not.toHaveProperty("jwks_uri");
      expect(oidc).not.toHaveProperty("id_token_signing_alg_values_supported");
    });

    it("a forged iss or a missing one is caught by the client (the server always sends ours)", async () => {
      const issuer = new URL(server.url);
      const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { [oauth.allowInsecureRequests]: true }));
      const forged = new URL("http://127.0.0.1:45678/strict?code=abc&state=s&iss=https%3A%2F%2Fevil.example");
      expect(() => oauth.validateAuthResponse(as, { client_id: "x" }, forged, "s")).toThrow();
    });
  });

  it("never puts a code, token or verifier in the server log", () => {
    const log = server.log();
    expect(log).not.toMatch(/mcp[or]_[0-9A-Za-z]{49}/);
    expect(log).not.toMatch(/mcps_[0-9A-Za-z]{43}/);
    expect(log).not.toMatch(/code=[0-9A-Za-z]{43}/);
  });

  it("initialize still works for a plain MCP POST with an OAuth token", async () => {
    const redirect = "http://127.0.0.1:40003/callback";
    const provider = new InMemoryOAuthProvider(redirect, clientMetadata(redirect, { client_name: "Init app" }));
    await connectWithSdk(provider);
    const response = await postMcp(server.url, { headers: { Authorization: `Bearer ${provider.savedTokens?.access_token ?? ""}` }, body: JSON.stringify(INITIALIZE) });
    expect(response.status).toBe(200);
  });
});
