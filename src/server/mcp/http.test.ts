import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateTokenString } from "~/server/tokens/token";
import { testDatabaseUrl } from "~/test/env";
import { startTestServer } from "~/test/fixtures";
import { signUpOverHttp, type SignedUpClient } from "~/test/trpc-http";
import { callTool, connectMcpClient, futureSlot, INITIALIZE, postMcp, toolErrorText } from "~/test/mcp-client";

// Through real HTTP against `next start` (npm run build:test first). On PostgreSQL when
// TEST_DATABASE_URL is set, so the test can also age a token past its expiry; else on PGlite.
describe("MCP over HTTP", () => {
  let person: SignedUpClient;
  const tokens = { both: "", read: "", write: "" };
  let both: Client;

  const server = startTestServer({ env: { AUTH_RATE_LIMIT_PER_MINUTE: "1000" } });
  beforeAll(async () => {
    person = await signUpOverHttp(server.url, { firstname: "Marie", surname: "Curie" });
    const generate = (name: string, scopes: ("read:data" | "write:bookings")[]) =>
      person.client.tokens.generate.mutate({ name, scopes, expiresInDays: 30 }).then((created) => created.token);
    tokens.both = await generate("Claude Desktop", ["read:data", "write:bookings"]);
    tokens.read = await generate("Reader", ["read:data"]);
    tokens.write = await generate("Writer", ["write:bookings"]);
    both = await connectMcpClient(server.url, tokens.both);
  });

  afterAll(async () => {
    await both?.close();
  });

  describe("tools", () => {
    it("lists the tools each token's scopes allow", async () => {
      const names = async (token: string) => {
        const client = await connectMcpClient(server.url, token);
        const { tools } = await client.listTools();
        await client.close();
        return tools.map((tool) => tool.name).sort();
      };
      expect(await names(tokens.read)).toEqual(["bookings_list", "hospitals_get", "hospitals_search", "whoami"]);
      expect(await names(tokens.write)).toEqual(["bookings_cancel", "bookings_create", "whoami"]);
      expect(await names(tokens.both)).toEqual(["bookings_cancel", "bookings_create", "bookings_list", "hospitals_get", "hospitals_search", "whoami"]);
    });

    it("refuses a call outside the scopes, naming the scope", async () => {
      const reader = await connectMcpClient(server.url, tokens.read);
      expect(toolErrorText(await callTool(reader, "bookings_cancel", { booking_id: crypto.randomUUID() }))).toMatch(/"write:bookings" scope/);
      await reader.close();
      const writer = await connectMcpClient(server.url, tokens.write);
      expect(toolErrorText(await callTool(writer, "bookings_list"))).toMatch(/"read:data" scope/);
      await writer.close();
    });

    it("whoami answers with the user and the token", async () => {
      const result = await callTool(both, "whoami");
      expect(result.structuredContent).toMatchObject({
        user: { id: person.user.id, email: person.email, firstname: "Marie", surname: "Curie" },
        token: { name: "Claude Desktop", scopes: ["read:data", "write:bookings"], expires_at: expect.any(String) },
      });
      const [text] = result.content;
      expect(text?.type === "text" ? JSON.parse(text.text) : null).toEqual(result.structuredContent);
    });

    it("hospitals_search ignores case and accents and pages with a cursor", async () => {
      const first = await callTool(both, "hospitals_search", { city: "paris", specialty: "cardiologie", limit: 2 });
      const page = first.structuredContent as { hospitals: { id: string; city: string; specialties: string[] }[]; next_cursor: string | null };
      expect(page.hospitals).toHaveLength(2);
      expect(page.hospitals.every((hospital) => hospital.city === "Paris" && hospital.specialties.includes("Cardiologie"))).toBe(true);
      expect(page.next_cursor).toEqual(expect.any(String));

      const seen = new Set(page.hospitals.map((hospital) => hospital.id));
      let cursor = page.next_cursor;
      while (cursor) {
        const next = (await callTool(both, "hospitals_search", { city: "PARIS", specialty: "Cardiologie", limit: 2, cursor })).structuredContent as typeof page;
        for (const hospital of next.hospitals) {
          expect(seen.has(hospital.id)).toBe(false);
          seen.add(hospital.id);
        }
        cursor = next.next_cursor;
      }
      const all = (await callTool(both, "hospitals_search", { city: "Paris", specialty: "Cardiologie", limit: 100 })).structuredContent as typeof page;
      expect(seen.size).toBe(all.hospitals.length);

      expect(toolErrorText(await callTool(both, "hospitals_search", { cursor: "made-up" }))).toMatch(/cursor is not valid/);
    });

    it("hospitals_get gives details, or says the id is unknown", async () => {
      const result = await callTool(both, "hospitals_get", { hospital_id: "lyon-edouard-herriot" });
      expect(result.structuredContent).toMatchObject({ hospital: { id: "lyon-edouard-herriot", city: "Lyon", phone: null } });
      expect(toolErrorText(await callTool(both, "hospitals_get", { hospital_id: "atlantis" }))).toMatch(/No hospital has the id 'atlantis'/);
    });

    it("bookings_create books, records the token, and shows on the dashboard's list", async () => {
      const startsAt = futureSlot(10);
      const created = await callTool(both, "bookings_create", { hospital_id: "paris-necker", specialty: "pediatrie", starts_at: startsAt, note: "Vaccines" });
      expect(created.structuredContent).toMatchObject({
        booking: { hospital: { id: "paris-necker", city: "Paris" }, specialty: "Pédiatrie", starts_at: startsAt, status: "confirmed", token_name: "Claude Desktop" },
      });
      const { id } = (created.structuredContent as { booking: { id: string } }).booking;

      const onDashboard = await person.client.bookings.list.query();
      expect(onDashboard.find((booking) => booking.id === id)).toMatchObject({ tokenName: "Claude Desktop", status: "confirmed" });

      const listed = (await callTool(both, "bookings_list", { status: "confirmed" })).structuredContent as { bookings: { id: string }[] };
      expect(listed.bookings.map((booking) => booking.id)).toContain(id);
    });

    it("bookings_create explains what to fix", async () => {
      const base = { hospital_id: "paris-necker", specialty: "Pédiatrie" };
      expect(toolErrorText(await callTool(both, "bookings_create", { ...base, hospital_id: "atlantis", starts_at: futureSlot(11) }))).toMatch(/atlantis/);
      expect(toolErrorText(await callTool(both, "bookings_create", { ...base, specialty: "Cardiologie", starts_at: futureSlot(11) }))).toMatch(
        /does not offer 'Cardiologie'/,
      );
      expect(toolErrorText(await callTool(both, "bookings_create", { ...base, starts_at: "2020-02-02T10:00:00+01:00" }))).toMatch(/in the past/);
      const startsAt = futureSlot(12);
      expect((await callTool(both, "bookings_create", { ...base, starts_at: startsAt })).isError).toBeFalsy();
      expect(toolErrorText(await callTool(both, "bookings_create", { hospital_id: "paris-hegp", specialty: "Urgences", starts_at: startsAt }))).toMatch(
        /already have a booking/,
      );
    });

    it("bookings_cancel cancels once, idempotently, and only the caller's own bookings", async () => {
      const created = await callTool(both, "bookings_create", { hospital_id: "marseille-timone", specialty: "Urgences", starts_at: futureSlot(13) });
      const { id } = (created.structuredContent as { booking: { id: string } }).booking;

      const stranger = await signUpOverHttp(server.url);
      const strangerToken = (await stranger.client.tokens.generate.mutate({ name: "Other", scopes: ["read:data", "write:bookings"], expiresInDays: 7 })).token;
      const strangerMcp = await connectMcpClient(server.url, strangerToken);
      expect(toolErrorText(await callTool(strangerMcp, "bookings_cancel", { booking_id: id }))).toMatch(/no booking with the id/);
      await strangerMcp.close();

      const cancelled = await callTool(both, "bookings_cancel", { booking_id: id });
      expect(cancelled.structuredContent).toMatchObject({ booking: { id, status: "cancelled" } });
      expect((await callTool(both, "bookings_cancel", { booking_id: id })).structuredContent).toEqual(cancelled.structuredContent);
      expect((await person.client.bookings.list.query()).find((booking) => booking.id === id)?.status).toBe("cancelled");
    });
  });

  describe("HTTP answers", () => {
    async function expectInvalidToken(response: Response, description: RegExp): Promise<void> {
      expect(response.status).toBe(401);
      const challenge = response.headers.get("www-authenticate") ?? "";
      expect(challenge).toMatch(/^Bearer error="invalid_token", error_description="[^"]+", scope="read:data write:bookings", resource_metadata="[^"]+"$/);
      expect(challenge).toContain(`resource_metadata="${server.url}/.well-known/oauth-protected-resource/api/mcp"`);
      expect(challenge).toMatch(description);
      const body = (await response.json()) as { error: { message: string } };
      expect(body.error.message).toMatch(description);
    }

    it("401 for a missing header, another scheme, a mistyped, unknown or revoked token", async () => {
      await expectInvalidToken(await postMcp(server.url), /Authorization header/);
      await expectInvalidToken(await postMcp(server.url, { headers: { Authorization: `Basic ${btoa("a:b")}` } }), /Authorization header/);
      const mistyped = `${tokens.read.slice(0, -1)}${tokens.read.endsWith("A") ? "B" : "A"}`;
      await expectInvalidToken(await postMcp(server.url, { headers: { Authorization: `Bearer ${mistyped}` } }), /malformed or mistyped/);
      await expectInvalidToken(await postMcp(server.url, { headers: { Authorization: `Bearer ${generateTokenString()}` } }), /not recognised/);

      const doomed = await person.client.tokens.generate.mutate({ name: "Doomed", scopes: ["read:data"], expiresInDays: 7 });
      const client = await connectMcpClient(server.url, doomed.token);
      expect((await callTool(client, "whoami")).isError).toBeFalsy();
      await person.client.tokens.revoke.mutate({ id: doomed.id });
      await expect(callTool(client, "whoami")).rejects.toMatchObject({ code: 401, message: expect.stringMatching(/revoked/) });
      await expectInvalidToken(await postMcp(server.url, { headers: { Authorization: `Bearer ${doomed.token}` } }), /revoked/);
    });

    it.skipIf(!testDatabaseUrl)("401 for an expired token", async () => {
      const postgres = (await import("postgres")).default;
      const aged = await person.client.tokens.generate.mutate({ name: "Aged", scopes: ["read:data"], expiresInDays: 7 });
      const sql = postgres(server.databaseUrl, { max: 1 });
      try {
        await sql`update api_tokens set expires_at = now() - interval '1 second' where id = ${aged.id}`;
      } finally {
        await sql.end();
      }
      await expectInvalidToken(await postMcp(server.url, { headers: { Authorization: `Bearer ${aged.token}` } }), /expired/);
    });

    it("403 for a foreign Origin; the app's own Origin is fine", async () => {
      const foreign = await postMcp(server.url, { headers: { Authorization: `Bearer ${tokens.both}`, Origin: "https://evil.example" } });
      expect(foreign.status).toBe(403);
      expect(((await foreign.json()) as { error: { message: string } }).error.message).toMatch(/other web origins/);
      expect((await postMcp(server.url, { headers: { Authorization: `Bearer ${tokens.both}`, Origin: "null" } })).status).toBe(403);
      const own = await postMcp(server.url, { headers: { Authorization: `Bearer ${tokens.both}`, Origin: server.url } });
      expect(own.status).toBe(200);
    });

    it("405 with Allow: POST for GET and DELETE, at once", async () => {
      for (const method of ["GET", "DELETE"]) {
        const response = await fetch(`${server.url}/api/mcp`, {
          method,
          headers: { Authorization: `Bearer ${tokens.both}`, Accept: "text/event-stream" },
          signal: AbortSignal.timeout(5000),
        });
        expect(response.status).toBe(405);
        expect(response.headers.get("allow")).toBe("POST");
      }
    });

    it("413 for a body over 1 MiB, declared or streamed", async () => {
      const big = JSON.stringify({ ...INITIALIZE, padding: "x".repeat(1024 * 1024) });
      const declared = await postMcp(server.url, { headers: { Authorization: `Bearer ${tokens.both}` }, body: big });
      expect(declared.status).toBe(413);

      // No Content-Length: 2 MiB in chunks. (How much of it the server reads before answering is
      // checked in process below: Next.js itself drains the body of any request its proxy.ts matches.)
      const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
      let chunks = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (++chunks > 32) controller.close();
          else controller.enqueue(chunk);
        },
      });
      const streamed = await postMcp(server.url, { headers: { Authorization: `Bearer ${tokens.both}` }, body: stream, duplex: "half" });
      expect(streamed.status).toBe(413);
      expect(await streamed.json()).toMatchObject({ error: { message: expect.stringMatching(/larger than 1 MiB/) } });
    });

    it("400 with a JSON-RPC parse error for malformed JSON", async () => {
      const response = await postMcp(server.url, { headers: { Authorization: `Bearer ${tokens.both}` }, body: "{ not json" });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ jsonrpc: "2.0", error: { code: -32700 } });
    });

    it("202 for a notification", async () => {
      const response = await postMcp(server.url, {
        headers: { Authorization: `Bearer ${tokens.both}`, "Mcp-Protocol-Version": "2025-06-18" },
        body: JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }),
      });
      expect(response.status).toBe(202);
    });

    it("publishes RFC 9728 metadata for the resource", async () => {
      const response = await fetch(`${server.url}/.well-known/oauth-protected-resource/api/mcp`);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({
        resource: `${server.url}/api/mcp`,
        authorization_servers: [server.url],
        bearer_methods_supported: ["header"],
        scopes_supported: ["read:data", "write:bookings"],
      });
    });
  });
});

describe("handleMcpRequest's body limit, in process", () => {
  // A declared size and a missing token are refused before anything touches the database or the body.
  function streamingBody(chunkSize: number, total: number) {
    const chunk = new Uint8Array(chunkSize).fill(120);
    const counter = { pulled: 0 };
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (counter.pulled >= total) return controller.close();
        counter.pulled += chunkSize;
        controller.enqueue(chunk);
      },
    });
    return { body, counter };
  }

  it("does not read the body of a request that has no valid token", async () => {
    const { handleMcpRequest } = await import("./http");
    const { body, counter } = streamingBody(16 * 1024, 64 * 1024 * 1024);
    const request = new Request("http://localhost:3000/api/mcp", { method: "POST", body, duplex: "half" } as RequestInit);
    expect((await handleMcpRequest(request)).status).toBe(401);
    expect(counter.pulled).toBeLessThanOrEqual(2 * 16 * 1024);
  });

  it("stops reading a streamed body as soon as it passes 1 MiB", async () => {
    const { MAX_REQUEST_BODY_BYTES, readBodyWithinLimit } = await import("~/server/http/body-limit");
    const { body, counter } = streamingBody(16 * 1024, 64 * 1024 * 1024);
    const request = new Request("http://localhost:3000/api/mcp", { method: "POST", body, duplex: "half" } as RequestInit);
    expect(await readBodyWithinLimit(request, MAX_REQUEST_BODY_BYTES)).toBe("too-large");
    expect(counter.pulled).toBeGreaterThan(MAX_REQUEST_BODY_BYTES);
    expect(counter.pulled).toBeLessThanOrEqual(MAX_REQUEST_BODY_BYTES + 3 * 16 * 1024);
  });

  it("refuses a declared Content-Length over 1 MiB without reading the body", async () => {
    const { handleMcpRequest } = await import("./http");
    const { body, counter } = streamingBody(16 * 1024, 64 * 1024 * 1024);
    const request = new Request("http://localhost:3000/api/mcp", {
      method: "POST",
      body,
      duplex: "half",
      headers: { "Content-Length": String(2 * 1024 * 1024) },
    } as RequestInit);
    expect((await handleMcpRequest(request)).status).toBe(413);
    expect(counter.pulled).toBeLessThanOrEqual(2 * 16 * 1024);
  });
});
