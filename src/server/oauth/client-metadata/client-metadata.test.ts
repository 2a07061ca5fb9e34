import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import {
  ClientMetadataCache,
  cimdTestOverride,
  parseClientIdUrl,
  requestClientMetadataDocument,
  resolveClientMetadataDocument,
  validateClientMetadataDocument,
  type DocumentRequester,
  type ResolveClientMetadataOptions,
  type ResolvedAddress,
} from ".";
import { KNOWN_CLIENT_DOCUMENTS } from "../known-client-documents";

const CLAUDE = "https://claude.ai/oauth/mcp-oauth-client-metadata";
const CHATGPT = "https://chatgpt.com/oauth/client.json";
const PUBLIC_ADDRESS: ResolvedAddress = { address: "93.184.215.14", family: 4 };

// ---- A local document server: every path is one behaviour ----

const hits = new Map<string, number>();
let server: http.Server;
let origin: string;

/** The document the server answers for `path`, as if hosted at https://docs.example.com`path`. */
function documentFor(pathname: string, overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    client_id: `https://docs.example.com${pathname}`,
    client_name: "Example Agent",
    redirect_uris: ["https://agent.example.com/callback", "http://127.0.0.1/callback", "cursor://example.agent/cb"],
    grant_types: ["authorization_code", "refresh_token"],
    token_endpoint_auth_method: "none",
    ...overrides,
  });
}

function serve(request: http.IncomingMessage, response: http.ServerResponse): void {
  const url = new URL(request.url ?? "/", "http://localhost");
  const pathname = url.pathname;
  hits.set(pathname, (hits.get(pathname) ?? 0) + 1);
  const json = (body: string, headers: http.OutgoingHttpHeaders = {}) => {
    response.writeHead(200, { "content-type": "application/json", ...headers });
    response.end(body);
  };
  const scenario = pathname.split("/")[1] ?? "";
  switch (scenario) {
    case "good":
      return json(documentFor(pathname));
    case "vendor-json":
      response.writeHead(200, { "content-type": "application/vnd.example+json; charset=utf-8" });
      return void response.end(documentFor(pathname));
    case "max-age-60":
      return json(documentFor(pathname), { "cache-control": "public, max-age=60" });
    case "max-age-2-days":
      return json(documentFor(pathname), { "cache-control": "max-age=172800" });
    case "max-age-2-hours":
      return json(documentFor(pathname), { "cache-control": "max-age=7200" });
    case "no-store":
      return json(documentFor(pathname), { "cache-control": "no-store" });
    case "redirect":
      response.writeHead(302, { location: `${origin}/good/target` });
      return void response.end();
    case "permanent-redirect":
      response.writeHead(308, { location: `${origin}/good/target`, "content-type": "application/json" });
      return void response.end(documentFor("/good/target"));
    case "huge": {
      // 5 MB, chunked (no Content-Length): the cap must stop reading, not just check a header.
      response.writeHead(200, { "content-type": "application/json" });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      let sent = 0;
      const pump = () => {
        while (sent < 5 * 1024 * 1024) {
          sent += chunk.length;
          if (!response.write(chunk)) return void response.once("drain", pump);
        }
        response.end();
      };
      response.on("error", () => undefined);
      return pump();
    }
    case "declared-large":
      response.writeHead(200, { "content-type": "application/json", "content-length": "6000" });
      return void response.end(" ".repeat(6000));
    case "trickle": {
      // Valid headers, then one byte every 50 ms: each read is quick, the whole is not.
      response.writeHead(200, { "content-type": "application/json" });
      const body = documentFor(pathname);
      let index = 0;
      const timer = setInterval(() => {
        if (index >= body.length || response.destroyed) {
          clearInterval(timer);
          return void response.end();
        }
        response.write(body[index]);
        index += 1;
      }, 50);
      response.on("close", () => clearInterval(timer));
      return;
    }
    case "html":
      response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      return void response.end("<!doctype html><title>Just a moment...</title>");
    case "missing":
      response.writeHead(404, { "content-type": "application/json" });
      return void response.end('{"error":"not found"}');
    case "forbidden":
      response.writeHead(403, { "content-type": "text/html" });
      return void response.end("<html>challenge</html>");
    case "server-error":
      response.writeHead(503);
      return void response.end();
    case "not-json":
      return json("{client_id: nope");
    case "array":
      return json("[]");
    case "mismatch":
      return json(documentFor(pathname, { client_id: "https://docs.example.com/someone-else" }));
    case "secret-method":
      return json(documentFor(pathname, { token_endpoint_auth_method: "client_secret_basic" }));
    case "with-secret":
      return json(documentFor(pathname, { client_secret: "s3cr3t-value" }));
    case "chatgpt-shape":
      // ChatGPT's published document, moved to this path.
      return json(
        JSON.stringify({
          ...KNOWN_CLIENT_DOCUMENTS.get(CHATGPT),
          client_id: `https://docs.example.com${pathname}`,
        }),
      );
    case "private-key-jwt-only":
      return json(documentFor(pathname, { token_endpoint_auth_method: "private_key_jwt", jwks_uri: "https://docs.example.com/jwks" }));
    default:
      response.writeHead(500);
      response.end();
  }
}

beforeAll(async () => {
  server = http.createServer(serve);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

afterEach(() => {
  hits.clear();
  vi.unstubAllEnvs();
});

interface Harness {
  options: ResolveClientMetadataOptions;
  /** The addresses the requester was told to connect to, in order. */
  connectedTo: (ResolvedAddress | null)[];
  lookups: string[];
  clock: { now: number };
}

/**
 * DNS answers `addresses`; the connection goes to the local server, through the production requester
 * (plain http), whatever address the guard handed over.
 */
function harness(
  addresses: ResolvedAddress[] | (() => Promise<ResolvedAddress[]>) = [PUBLIC_ADDRESS],
  overrides: Partial<ResolveClientMetadataOptions> = {},
): Harness {
  const connectedTo: (ResolvedAddress | null)[] = [];
  const lookups: string[] = [];
  const clock = { now: Date.UTC(2026, 10, 26) };
  const request: DocumentRequester = (url, address, signal) => {
    connectedTo.push(address);
    return requestClientMetadataDocument(new URL(`${origin}${url.pathname}${url.search}`), null, signal);
  };
  return {
    connectedTo,
    lookups,
    clock,
    options: {
      lookup: async (hostname) => {
        lookups.push(hostname);
        return typeof addresses === "function" ? addresses() : addresses;
      },
      request,
      now: () => clock.now,
      cache: new ClientMetadataCache(),
      testOverride: null,
      deadlineMs: 400,
      ...overrides,
    },
  };
}

const docUrl = (pathname: string) => `https://docs.example.com${pathname}`;

describe("parseClientIdUrl", () => {
  it.each([
    CLAUDE,
    CHATGPT,
    "https://vscode.dev/oauth/client-metadata.json",
    "https://example.com:443/client.json",
    "https://example.com/client?version=2",
    "https://93.184.215.14/client.json",
  ])("accepts %s", (clientId) => {
    expect(parseClientIdUrl(clientId)).toBeInstanceOf(URL);
  });

  it.each([
    ["http://example.com/client.json", "not https"],
    ["HTTPS://example.com/client.json", "scheme not in canonical lower case"],
    ["https://example.com", "no path"],
    ["https://example.com/", "root path"],
    ["https://example.com?x=1", "root path with a query"],
    ["https://example.com/client.json#frag", "fragment"],
    ["https://example.com/client.json#", "empty fragment"],
    ["https://user:pass@example.com/client.json", "userinfo"],
    ["https://user@example.com/client.json", "user only"],
    ["https://@example.com/client.json", "empty userinfo"],
    ["https://example.com:8443/client.json", "other port"],
    ["https://example.com:80/client.json", "port 80"],
    ["https://example.com/a/../client.json", "dot-dot segment"],
    ["https://example.com/a/./client.json", "dot segment"],
    ["https://example.com/a/%2e%2e/client.json", "encoded dot-dot"],
    ["https://example.com/a/%2E/client.json", "encoded dot"],
    ["https://example.com/a/..", "trailing dot-dot"],
    ["https://example.com/a\\client.json", "backslash"],
    ["https://example.com/client.json ", "trailing space"],
    ["https://exa\tmple.com/client.json", "tab the parser would drop"],
    ["https://example.com/client\n.json", "newline"],
    ["https://exa mple.com/client.json", "space in host"],
    [`https://example.com/${"a".repeat(2100)}`, "too long"],
    ["client-123", "not a URL"],
    ["", "empty"],
  ])("refuses %s (%s)", (clientId) => {
    expect(parseClientIdUrl(clientId)).toBeNull();
  });
});

describe("validateClientMetadataDocument", () => {
  const id = "https://docs.example.com/client.json";
  const base = { client_id: id, redirect_uris: ["https://docs.example.com/cb"] };

  it.each([...KNOWN_CLIENT_DOCUMENTS.entries()])("accepts the published document of %s", (clientId, document) => {
    const result = validateClientMetadataDocument(clientId, document);
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.client.tokenEndpointAuthMethod).toBe("none");
  });

  it("reads Claude Code's portless loopback redirects and VS Code's fixed port as published", () => {
    const claudeCode = validateClientMetadataDocument(
      "https://claude.ai/oauth/claude-code-client-metadata",
      KNOWN_CLIENT_DOCUMENTS.get("https://claude.ai/oauth/claude-code-client-metadata"),
    );
    expect(claudeCode).toMatchObject({
      ok: true,
      client: { clientName: "Claude Code", host: "claude.ai", redirectUris: ["http://localhost/callback", "http://127.0.0.1/callback"] },
    });
    const vscode = validateClientMetadataDocument(
      "https://vscode.dev/oauth/client-metadata.json",
      KNOWN_CLIENT_DOCUMENTS.get("https://vscode.dev/oauth/client-metadata.json"),
    );
    expect(vscode).toMatchObject({
      ok: true,
      client: {
        clientName: "Visual Studio Code",
        logoUri: "https://code.visualstudio.com/assets/branding/code-stable.png",
        clientUri: "https://vscode.dev/product",
        redirectUris: ["http://127.0.0.1:33418/", "https://vscode.dev/redirect"],
      },
    });
  });

  it("treats ChatGPT's private_key_jwt + none document as a public client, in both shapes it has served", () => {
    const published = KNOWN_CLIENT_DOCUMENTS.get(CHATGPT);
    expect(validateClientMetadataDocument(CHATGPT, published)).toMatchObject({
      ok: true,
      client: { clientName: "ChatGPT", tokenEndpointAuthMethod: "none", host: "chatgpt.com" },
    });
    const pluralOnly = { ...published, token_endpoint_auth_method: undefined };
    expect(validateClientMetadataDocument(CHATGPT, JSON.parse(JSON.stringify(pluralOnly)))).toMatchObject({ ok: true });
  });

  it("falls back to the host when client_name is absent or blank, and trims it", () => {
    expect(validateClientMetadataDocument(id, base)).toMatchObject({ ok: true, client: { clientName: "docs.example.com" } });
    expect(validateClientMetadataDocument(id, { ...base, client_name: "  " })).toMatchObject({
      ok: true,
      client: { clientName: "docs.example.com" },
    });
    expect(validateClientMetadataDocument(id, { ...base, client_name: " Agent " })).toMatchObject({
      ok: true,
      client: { clientName: "Agent" },
    });
  });

  it("defaults grant_types to the authorization code grant (RFC 7591 §2)", () => {
    expect(validateClientMetadataDocument(id, base)).toMatchObject({ ok: true, client: { grantTypes: ["authorization_code"] } });
  });

  it.each([
    ["not an object", "a string"],
    ["an array", [base]],
    ["null", null],
    ["client_id differs", { ...base, client_id: "https://docs.example.com/other.json" }],
    ["client_id differs only by an explicit port", { ...base, client_id: "https://docs.example.com:443/client.json" }],
    ["client_id missing", { redirect_uris: base.redirect_uris }],
    ["no redirect_uris", { client_id: id }],
    ["empty redirect_uris", { ...base, redirect_uris: [] }],
    ["redirect_uris not an array", { ...base, redirect_uris: "https://docs.example.com/cb" }],
    ["a non-string redirect URI", { ...base, redirect_uris: [42] }],
    ["http on a public host", { ...base, redirect_uris: ["http://docs.example.com/cb"] }],
    ["localhost look-alike", { ...base, redirect_uris: ["http://localhost.evil.example/cb"] }],
    ["fragment", { ...base, redirect_uris: ["https://docs.example.com/cb#x"] }],
    ["relative URI", { ...base, redirect_uris: ["/cb"] }],
    ["javascript: URI", { ...base, redirect_uris: ["javascript:alert(1)"] }],
    ["data: URI", { ...base, redirect_uris: ["data:text/html,hi"] }],
    ["file: URI", { ...base, redirect_uris: ["file:///etc/passwd"] }],
    ["userinfo in a redirect", { ...base, redirect_uris: ["https://user@docs.example.com/cb"] }],
    ["whitespace in a redirect", { ...base, redirect_uris: ["https://docs.example.com/c b"] }],
    ["client_name not a string", { ...base, client_name: 7 }],
    ["client_name with a bidi override", { ...base, client_name: "Claude\u202egnp.exe" }],
    ["client_name too long", { ...base, client_name: "x".repeat(201) }],
    ["client_secret present", { ...base, client_secret: "x" }],
    ["client_secret_expires_at present", { ...base, client_secret_expires_at: 0 }],
    ["client_secret_basic", { ...base, token_endpoint_auth_method: "client_secret_basic" }],
    ["client_secret_post", { ...base, token_endpoint_auth_method: "client_secret_post" }],
    ["client_secret_jwt", { ...base, token_endpoint_auth_method: "client_secret_jwt" }],
    ["tls_client_auth", { ...base, token_endpoint_auth_method: "tls_client_auth" }],
    ["private_key_jwt without none", { ...base, token_endpoint_auth_method: "private_key_jwt" }],
    [
      "private_key_jwt with other methods only",
      { ...base, token_endpoint_auth_method: "private_key_jwt", token_endpoint_auth_methods_supported: ["private_key_jwt"] },
    ],
    ["grant_types without authorization_code", { ...base, grant_types: ["client_credentials"] }],
    ["grant_types not strings", { ...base, grant_types: "authorization_code" }],
    ["response_types without code", { ...base, response_types: ["token"] }],
    ["http logo_uri", { ...base, logo_uri: "http://docs.example.com/logo.png" }],
    ["javascript client_uri", { ...base, client_uri: "javascript:alert(1)" }],
  ])("refuses a document with %s", (_case, document) => {
    expect(validateClientMetadataDocument(id, document).ok).toBe(false);
  });

  it.each([
    "https://docs.example.com/cb",
    "http://127.0.0.1/callback",
    "http://127.0.0.1:33418/",
    "http://localhost:8787/callback",
    "http://[::1]/oauth_callback",
    "cursor://anysphere.cursor-mcp/oauth/callback",
    "com.example.app:/oauth2redirect",
  ])("accepts the redirect URI %s", (uri) => {
    expect(validateClientMetadataDocument(id, { ...base, redirect_uris: [uri] }).ok).toBe(true);
  });
});

describe("resolveClientMetadataDocument: address guard", () => {
  it.each([
    "10.0.0.1",
    "127.0.0.1",
    "::ffff:127.0.0.1",
    "100.64.0.1",
    "fd00::1",
    "169.254.169.254",
    "::1",
    "fe80::1",
    "0.0.0.0",
  ])("refuses a host that resolves to %s without connecting", async (address) => {
    const { options, connectedTo } = harness([{ address, family: address.includes(":") ? 6 : 4 }]);
    const result = await resolveClientMetadataDocument(docUrl("/good/a"), options);
    expect(result).toMatchObject({ ok: false, error: "fetch_failed", reason: "address_refused" });
    if (!result.ok) expect(result.description).not.toContain(address);
    expect(connectedTo).toEqual([]);
    expect(hits.size).toBe(0);
  });

  it("refuses a host when any one of its addresses is internal", async () => {
    const { options, connectedTo } = harness([PUBLIC_ADDRESS, { address: "10.1.2.3", family: 4 }]);
    const result = await resolveClientMetadataDocument(docUrl("/good/mixed"), options);
    expect(result).toMatchObject({ ok: false, reason: "address_refused" });
    expect(connectedTo).toEqual([]);
  });

  it.each(["https://127.0.0.1/client.json", "https://[::1]/client.json", "https://[::ffff:a9fe:a9fe]/client.json", "https://10.0.0.1/client.json"])(
    "checks an IP-literal client_id %s itself, without DNS",
    async (clientId) => {
      const { options, connectedTo, lookups } = harness();
      const result = await resolveClientMetadataDocument(clientId, options);
      expect(result).toMatchObject({ ok: false, reason: "address_refused" });
      expect(lookups).toEqual([]);
      expect(connectedTo).toEqual([]);
    },
  );

  it("connects to the address it checked", async () => {
    const { options, connectedTo, lookups } = harness([PUBLIC_ADDRESS, { address: "2606:4700::1", family: 6 }]);
    const result = await resolveClientMetadataDocument(docUrl("/good/pinned"), options);
    expect(result).toMatchObject({ ok: true, client: { source: "fetched", host: "docs.example.com" } });
    expect(lookups).toEqual(["docs.example.com"]);
    expect(connectedTo).toEqual([PUBLIC_ADDRESS]);
  });

  it("never fetches a malformed client_id", async () => {
    const { options, lookups } = harness();
    const result = await resolveClientMetadataDocument("https://docs.example.com/a/../good/x", options);
    expect(result).toMatchObject({ ok: false, error: "invalid_client_id" });
    expect(lookups).toEqual([]);
  });
});

describe("resolveClientMetadataDocument: fetch rules", () => {
  it("accepts a good document and returns the public client", async () => {
    const { options } = harness();
    const result = await resolveClientMetadataDocument(docUrl("/good/one"), options);
    expect(result).toEqual({
      ok: true,
      client: {
        clientId: docUrl("/good/one"),
        clientName: "Example Agent",
        redirectUris: ["https://agent.example.com/callback", "http://127.0.0.1/callback", "cursor://example.agent/cb"],
        tokenEndpointAuthMethod: "none",
        grantTypes: ["authorization_code", "refresh_token"],
        host: "docs.example.com",
        source: "fetched",
      },
    });
  });

  it("accepts a +json media type", async () => {
    const { options } = harness();
    expect(await resolveClientMetadataDocument(docUrl("/vendor-json/x"), options)).toMatchObject({ ok: true });
  });

  it.each([
    ["/redirect/x", "fetch_failed", "redirect"],
    ["/permanent-redirect/x", "fetch_failed", "redirect"],
    ["/missing/x", "fetch_failed", "http_status"],
    ["/forbidden/x", "fetch_failed", "http_status"],
    ["/server-error/x", "fetch_failed", "http_status"],
    ["/html/x", "invalid_document", "content_type"],
    ["/not-json/x", "invalid_document", "malformed_json"],
    ["/array/x", "invalid_document", "invalid_metadata"],
    ["/mismatch/x", "invalid_document", "invalid_metadata"],
    ["/secret-method/x", "invalid_document", "invalid_metadata"],
    ["/with-secret/x", "invalid_document", "invalid_metadata"],
    ["/private-key-jwt-only/x", "invalid_document", "invalid_metadata"],
    ["/declared-large/x", "invalid_document", "too_large"],
  ])("refuses %s as %s (%s)", async (pathname, error, reason) => {
    const { options } = harness();
    const result = await resolveClientMetadataDocument(docUrl(pathname), options);
    expect(result).toMatchObject({ ok: false, error, reason });
    if (!result.ok) {
      expect(result.description).toMatch(/^The app's metadata document .*docs\.example\.com.*\.$/);
      expect(result.description).not.toContain("s3cr3t");
    }
  });

  it("does not follow a redirect", async () => {
    const { options } = harness();
    await resolveClientMetadataDocument(docUrl("/redirect/x"), options);
    expect(hits.get("/good/target")).toBeUndefined();
  });

  it("stops reading a 5 MB body as soon as it passes 5 KB", async () => {
    const { options } = harness(undefined, { deadlineMs: 5_000 });
    const started = Date.now();
    const result = await resolveClientMetadataDocument(docUrl("/huge/x"), options);
    expect(result).toMatchObject({ ok: false, error: "invalid_document", reason: "too_large" });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("gives up on a body trickled past the overall deadline", async () => {
    const { options } = harness(undefined, { deadlineMs: 400 });
    const started = Date.now();
    const result = await resolveClientMetadataDocument(docUrl("/trickle/x"), options);
    const elapsed = Date.now() - started;
    expect(result).toMatchObject({ ok: false, error: "fetch_failed", reason: "timeout" });
    expect(elapsed).toBeGreaterThanOrEqual(350);
    expect(elapsed).toBeLessThan(1_500);
  });

  it("gives up on a server that never answers, and on DNS that never answers", async () => {
    const silent: DocumentRequester = () => new Promise(() => undefined);
    const { options } = harness(undefined, { request: silent, deadlineMs: 200 });
    expect(await resolveClientMetadataDocument(docUrl("/silent/x"), options)).toMatchObject({ ok: false, reason: "timeout" });

    const stuckDns = harness(() => new Promise(() => undefined), { deadlineMs: 200 });
    expect(await resolveClientMetadataDocument(docUrl("/good/x"), stuckDns.options)).toMatchObject({ ok: false, reason: "timeout" });
  });

  it("accepts ChatGPT's private_key_jwt + none document as a public client", async () => {
    const { options } = harness();
    const result = await resolveClientMetadataDocument(docUrl("/chatgpt-shape/client.json"), options);
    expect(result).toMatchObject({
      ok: true,
      client: {
        clientName: "ChatGPT",
        tokenEndpointAuthMethod: "none",
        redirectUris: ["https://chatgpt.com/connector_platform_oauth_redirect"],
        logoUri: "https://persistent.oaistatic.com/sonic/misc/openai-logo.png",
        clientUri: "https://chatgpt.com/",
      },
    });
  });
});

describe("resolveClientMetadataDocument: pinned documents", () => {
  const networkError = (code: string): DocumentRequester => () =>
    Promise.reject(Object.assign(new Error(code), { code }));
  /** Serves `pathname` of the local server whatever the client_id's path. */
  const answerWith = (pathname: string): DocumentRequester => (_url, _address, signal) =>
    requestClientMetadataDocument(new URL(`${origin}${pathname}`), null, signal);

  it.each(["ECONNREFUSED", "ECONNRESET", "CERT_HAS_EXPIRED", "ERR_TLS_CERT_ALTNAME_INVALID"])(
    "stands in for Claude's document when the connection fails (%s)",
    async (code) => {
      const { options } = harness(undefined, { request: networkError(code) });
      const result = await resolveClientMetadataDocument(CLAUDE, options);
      expect(result).toMatchObject({
        ok: true,
        client: { source: "pinned", clientName: "Claude", host: "claude.ai", redirectUris: ["https://claude.ai/api/mcp/auth_callback"] },
      });
    },
  );

  it("stands in when DNS fails", async () => {
    const { options } = harness(() => Promise.reject(Object.assign(new Error("getaddrinfo ENOTFOUND"), { code: "ENOTFOUND" })));
    expect(await resolveClientMetadataDocument(CHATGPT, options)).toMatchObject({
      ok: true,
      client: { source: "pinned", clientName: "ChatGPT", tokenEndpointAuthMethod: "none" },
    });
  });

  it("stands in when the server does not answer in time", async () => {
    const { options } = harness(undefined, { request: () => new Promise(() => undefined), deadlineMs: 200 });
    expect(await resolveClientMetadataDocument(CLAUDE, options)).toMatchObject({ ok: true, client: { source: "pinned" } });
  });

  it.each([
    ["/missing/x", "http_status"],
    ["/forbidden/x", "http_status"],
    ["/server-error/x", "http_status"],
    ["/redirect/x", "redirect"],
    ["/html/x", "content_type"],
    ["/mismatch/x", "invalid_metadata"],
  ])("never stands in after an HTTP answer (%s)", async (pathname, reason) => {
    const { options } = harness(undefined, { request: answerWith(pathname) });
    expect(await resolveClientMetadataDocument(CLAUDE, options)).toMatchObject({ ok: false, reason });
  });

  it("never stands in after a body that stalled once the status arrived", async () => {
    const { options } = harness(undefined, { request: answerWith("/trickle/x"), deadlineMs: 300 });
    expect(await resolveClientMetadataDocument(CLAUDE, options)).toMatchObject({ ok: false, reason: "timeout" });
  });

  it("never stands in after an address refusal", async () => {
    const { options } = harness([{ address: "127.0.0.1", family: 4 }]);
    expect(await resolveClientMetadataDocument(CLAUDE, options)).toMatchObject({ ok: false, reason: "address_refused" });
  });

  it("has nothing to offer for an unknown client", async () => {
    const { options } = harness(undefined, { request: networkError("ECONNREFUSED") });
    expect(await resolveClientMetadataDocument(docUrl("/good/x"), options)).toMatchObject({
      ok: false,
      error: "fetch_failed",
      reason: "network",
    });
  });

  it("prefers the live document when the fetch works", async () => {
    const { options } = harness(undefined, { request: answerWith("/good/x") });
    // The live document names another client_id, so it is refused rather than replaced by the pin.
    expect(await resolveClientMetadataDocument(CLAUDE, options)).toMatchObject({ ok: false, reason: "invalid_metadata" });
  });
});

describe("resolveClientMetadataDocument: caching", () => {
  it("serves a good document from the cache, for the default hour", async () => {
    const { options, clock, connectedTo } = harness();
    const id = docUrl("/good/cached");
    expect(await resolveClientMetadataDocument(id, options)).toMatchObject({ ok: true, client: { source: "fetched" } });
    clock.now += 59 * 60_000;
    expect(await resolveClientMetadataDocument(id, options)).toMatchObject({ ok: true, client: { source: "cache" } });
    expect(connectedTo).toHaveLength(1);
    clock.now += 2 * 60_000;
    expect(await resolveClientMetadataDocument(id, options)).toMatchObject({ ok: true, client: { source: "fetched" } });
    expect(connectedTo).toHaveLength(2);
  });

  it.each([
    ["/max-age-60/x", 5 * 60_000, "max-age below the 5-minute floor"],
    ["/no-store/x", 5 * 60_000, "no-store still gets the floor"],
    ["/max-age-2-hours/x", 2 * 60 * 60_000, "max-age within bounds"],
    ["/max-age-2-days/x", 24 * 60 * 60_000, "max-age above the 24-hour ceiling"],
  ])("keeps %s for %d ms (%s)", async (pathname, lifetimeMs) => {
    const { options, clock } = harness();
    const id = docUrl(pathname);
    await resolveClientMetadataDocument(id, options);
    clock.now += lifetimeMs - 1_000;
    expect(await resolveClientMetadataDocument(id, options)).toMatchObject({ client: { source: "cache" } });
    clock.now += 2_000;
    expect(await resolveClientMetadataDocument(id, options)).toMatchObject({ client: { source: "fetched" } });
  });

  it("remembers a failure for 60 seconds", async () => {
    const { options, clock, connectedTo } = harness();
    const id = docUrl("/missing/negative");
    const first = await resolveClientMetadataDocument(id, options);
    clock.now += 59_000;
    expect(await resolveClientMetadataDocument(id, options)).toEqual(first);
    expect(connectedTo).toHaveLength(1);
    clock.now += 2_000;
    await resolveClientMetadataDocument(id, options);
    expect(connectedTo).toHaveLength(2);
  });

  it("keeps answering with the pinned copy while a network failure is remembered", async () => {
    let attempts = 0;
    const { options } = harness(undefined, {
      request: () => {
        attempts += 1;
        return Promise.reject(Object.assign(new Error("refused"), { code: "ECONNREFUSED" }));
      },
    });
    expect(await resolveClientMetadataDocument(CLAUDE, options)).toMatchObject({ ok: true, client: { source: "pinned" } });
    expect(await resolveClientMetadataDocument(CLAUDE, options)).toMatchObject({ ok: true, client: { source: "pinned" } });
    expect(attempts).toBe(1);
  });

  it("shares one fetch between concurrent resolutions", async () => {
    const { options, connectedTo } = harness();
    const id = docUrl("/good/shared");
    const results = await Promise.all(Array.from({ length: 5 }, () => resolveClientMetadataDocument(id, options)));
    expect(results.map((result) => result.ok && result.client.source)).toEqual(Array(5).fill("fetched"));
    expect(connectedTo).toHaveLength(1);
    expect(hits.get("/good/shared")).toBe(1);
  });

  it("evicts the least recently used document beyond its bound", async () => {
    const { options, connectedTo } = harness(undefined, { cache: new ClientMetadataCache(2) });
    await resolveClientMetadataDocument(docUrl("/good/1"), options);
    await resolveClientMetadataDocument(docUrl("/good/2"), options);
    await resolveClientMetadataDocument(docUrl("/good/1"), options); // 1 is now the most recent
    await resolveClientMetadataDocument(docUrl("/good/3"), options); // evicts 2
    expect(connectedTo).toHaveLength(3);
    expect(await resolveClientMetadataDocument(docUrl("/good/1"), options)).toMatchObject({ client: { source: "cache" } });
    expect(await resolveClientMetadataDocument(docUrl("/good/2"), options)).toMatchObject({ client: { source: "fetched" } });
  });
});

describe("cimdTestOverride", () => {
  it("is off unless both the build flag and the origin are set", () => {
    vi.stubEnv("CARESTRAL_TEST_BUILD", "");
    vi.stubEnv("CIMD_TEST_ORIGIN", "http://127.0.0.1:4567");
    expect(cimdTestOverride()).toBeNull();
    vi.stubEnv("CARESTRAL_TEST_BUILD", "1");
    vi.stubEnv("CIMD_TEST_ORIGIN", "");
    expect(cimdTestOverride()).toBeNull();
  });

  it.each(["http://10.0.0.5:4567", "https://127.0.0.1:4567", "http://example.com", "not a url"])(
    "refuses a non-loopback http origin %s",
    (configured) => {
      vi.stubEnv("CARESTRAL_TEST_BUILD", "1");
      vi.stubEnv("CIMD_TEST_ORIGIN", configured);
      expect(cimdTestOverride()).toBeNull();
    },
  );

  it("maps only https *.test client_ids onto the local origin, keeping the path", () => {
    vi.stubEnv("CARESTRAL_TEST_BUILD", "1");
    vi.stubEnv("CIMD_TEST_ORIGIN", "http://127.0.0.1:4567");
    const override = cimdTestOverride();
    expect(override).not.toBeNull();
    if (!override) return;
    expect(override(new URL("https://client.test/cimd.json?v=1"))).toBe("http://127.0.0.1:4567/cimd.json?v=1");
    expect(override(new URL("https://client.test//elsewhere.example/x"))).toBe("http://127.0.0.1:4567//elsewhere.example/x");
    expect(override(new URL("https://claude.ai/oauth/mcp-oauth-client-metadata"))).toBeNull();
    expect(override(new URL("https://client.test.example.com/x"))).toBeNull();
  });

  it("fetches *.test documents from the local server with every rule but the address check", async () => {
    vi.stubEnv("CARESTRAL_TEST_BUILD", "1");
    vi.stubEnv("CIMD_TEST_ORIGIN", origin);
    const noDns = () => Promise.reject(new Error("DNS must not be used in test mode"));
    // No testOverride option: the switches are read as the app reads them.
    const options: ResolveClientMetadataOptions = { lookup: noDns, cache: new ClientMetadataCache(), deadlineMs: 400 };
    for (const [pathname, reason] of [
      // The served document names https://docs.example.com/..., so the exact client_id rule still bites.
      ["/chatgpt-shape/client.json", "invalid_metadata"],
      ["/redirect/t", "redirect"],
      ["/huge/t", "too_large"],
      ["/html/t", "content_type"],
      ["/missing/t", "http_status"],
      ["/trickle/t", "timeout"],
    ] as const) {
      expect(await resolveClientMetadataDocument(`https://client.test${pathname}`, options)).toMatchObject({ ok: false, reason });
    }
    expect(hits.get("/redirect/t")).toBe(1);
  });

  it("serves a valid *.test document end to end", async () => {
    vi.stubEnv("CARESTRAL_TEST_BUILD", "1");
    vi.stubEnv("CIMD_TEST_ORIGIN", origin);
    // The local server names docs.example.com; a *.test document must name itself, so serve one that does.
    const selfNaming = http.createServer((request, response) => {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ client_id: `https://client.test${request.url ?? ""}`, redirect_uris: ["http://127.0.0.1/cb"] }));
    });
    await new Promise<void>((resolve) => selfNaming.listen(0, "127.0.0.1", resolve));
    try {
      vi.stubEnv("CIMD_TEST_ORIGIN", `http://127.0.0.1:${(selfNaming.address() as AddressInfo).port}`);
      const result = await resolveClientMetadataDocument("https://client.test/cimd.json", { cache: new ClientMetadataCache() });
      expect(result).toMatchObject({ ok: true, client: { clientName: "client.test", host: "client.test", source: "fetched" } });
    } finally {
      selfNaming.closeAllConnections();
      await new Promise((resolve) => selfNaming.close(resolve));
    }
  });
});

// The production requester over real TLS: a name that does not resolve reaches the address it is
// given, and certificate verification stays on (a self-signed certificate is refused).
const hasOpenssl = (() => {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!hasOpenssl)("requestClientMetadataDocument over TLS", () => {
  let tlsServer: https.Server;
  let port: number;
  let connections = 0;

  beforeAll(async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "carestral-cimd-tls-"));
    const keyPath = path.join(dir, "key.pem");
    const certPath = path.join(dir, "cert.pem");
    execFileSync("openssl", [
      "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=pinned.test",
      "-keyout", keyPath, "-out", certPath,
    ], { stdio: "ignore" });
    tlsServer = https.createServer({ key: readFileSync(keyPath), cert: readFileSync(certPath) }, (_request, response) => {
      response.writeHead(200, { "content-type": "application/json" });
      response.end("{}");
    });
    tlsServer.on("tlsClientError", () => undefined);
    tlsServer.on("connection", () => (connections += 1));
    await new Promise<void>((resolve) => tlsServer.listen(0, "127.0.0.1", resolve));
    port = (tlsServer.address() as AddressInfo).port;
  });

  afterAll(async () => {
    tlsServer.closeAllConnections();
    await new Promise((resolve) => tlsServer.close(resolve));
  });

  it("connects to the pinned address and refuses an untrusted certificate", async () => {
    const controller = new AbortController();
    const attempt = requestClientMetadataDocument(
      new URL(`https://pinned.test:${port}/client.json`),
      { address: "127.0.0.1", family: 4 },
      controller.signal,
    );
    await expect(attempt).rejects.toMatchObject({ code: expect.stringMatching(/SELF_SIGNED|UNABLE_TO_VERIFY|CERT/) });
    // The TCP connection reached our local server although pinned.test resolves nowhere.
    expect(connections).toBe(1);
  });
});

describe("resolveClientMetadataDocument: fetches limited per requester", () => {
  /** A limit that allows `allowed` fetches, then refuses with a 42 s wait; `asked` counts the questions. */
  function limit(allowed: number) {
    const counter = { asked: 0 };
    const mayFetch = async () => {
      counter.asked += 1;
      return counter.asked <= allowed ? ({ allowed: true } as const) : ({ allowed: false, retryAfterSeconds: 42 } as const);
    };
    return { counter, mayFetch };
  }

  it("fetches nothing once the requester's allowance is spent, and says when to try again", async () => {
    const { counter, mayFetch } = limit(1);
    const { options, lookups } = harness(undefined, { mayFetch });
    expect(await resolveClientMetadataDocument(docUrl("/good/limited-1"), options)).toMatchObject({ ok: true, client: { source: "fetched" } });
    const refused = await resolveClientMetadataDocument(docUrl("/good/limited-2"), options);
    expect(refused).toMatchObject({ ok: false, error: "invalid_client_id", reason: "rate_limited" });
    expect(refused.ok ? "" : refused.description).toMatch(/Try again in 42 seconds/);
    expect(lookups).toEqual(["docs.example.com"]);
    expect(counter.asked).toBe(2);
  });

  it("charges nothing for a cached document or a remembered failure", async () => {
    const { counter, mayFetch } = limit(2);
    const { options } = harness(undefined, { mayFetch });
    await resolveClientMetadataDocument(docUrl("/good/cached"), options);
    await resolveClientMetadataDocument(docUrl("/missing/remembered"), options);
    for (let i = 0; i < 5; i++) {
      expect(await resolveClientMetadataDocument(docUrl("/good/cached"), options)).toMatchObject({ ok: true, client: { source: "cache" } });
      expect(await resolveClientMetadataDocument(docUrl("/missing/remembered"), options)).toMatchObject({ ok: false });
    }
    expect(counter.asked).toBe(2);
  });

  it("still lets a well-known app through on its pinned copy", async () => {
    const { mayFetch } = limit(0);
    const { options, lookups } = harness(undefined, { mayFetch });
    expect(await resolveClientMetadataDocument(CLAUDE, options)).toMatchObject({ ok: true, client: { source: "pinned", clientName: "Claude" } });
    expect(lookups).toEqual([]);
  });
});
