import { createServer, request as httpRequest, type Server } from "node:http";
import { connect, type AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { PAYLOAD_TOO_LARGE_HEADERS, readBodyWithinLimit } from "./body-limit";
import { serveWithFetchHandler, type FetchHandler } from "./node-adapter";

// A real Node.js server on a loopback port, serving every request through the adapter, as server.mjs does for
// POST /api/mcp.
let server: Server | undefined;

async function serve(handler: FetchHandler): Promise<string> {
  server = createServer((request, response) => void serveWithFetchHandler(request, response, handler));
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

describe("serving a Node.js request with a fetch handler", () => {
  it("hands over the method, URL, headers and body, and sends back the status, headers and body", async () => {
    const url = await serve(async (request) => {
      const body = await request.text();
      return Response.json(
        { method: request.method, path: new URL(request.url).pathname, search: new URL(request.url).search, auth: request.headers.get("authorization"), body },
        { status: 202, headers: [["X-One", "1"], ["Set-Cookie", "a=1"], ["Set-Cookie", "b=2"]] },
      );
    });
    const response = await fetch(`${url}/api/mcp?x=1`, { method: "POST", headers: { Authorization: "Bearer abc" }, body: '{"hello":"world"}' });
    expect(response.status).toBe(202);
    expect(response.headers.get("x-one")).toBe("1");
    expect(response.headers.getSetCookie()).toEqual(["a=1", "b=2"]);
    expect(await response.json()).toEqual({ method: "POST", path: "/api/mcp", search: "?x=1", auth: "Bearer abc", body: '{"hello":"world"}' });
  });

  it("streams the answer as the handler produces it", async () => {
    let release: () => void = () => {};
    const second = new Promise<void>((resolve) => (release = resolve));
    const url = await serve(async () => {
      const encoder = new TextEncoder();
      const body = new ReadableStream<Uint8Array>({
        async start(controller) {
          controller.enqueue(encoder.encode("data: one\n\n"));
          await second;
          controller.enqueue(encoder.encode("data: two\n\n"));
          controller.close();
        },
      });
      return new Response(body, { headers: { "Content-Type": "text/event-stream" } });
    });
    const response = await fetch(url, { method: "POST", body: "{}" });
    const reader = response.body?.getReader();
    if (!reader) throw new Error("no body");
    // The first event arrives while the handler still holds back the second.
    expect(new TextDecoder().decode((await reader.read()).value)).toBe("data: one\n\n");
    release();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe("data: two\n\n");
    expect((await reader.read()).done).toBe(true);
  });

  it("answers a handler that throws with a JSON-RPC internal error that tells nothing of the error", async () => {
    const url = await serve(async () => {
      throw new Error("secret detail mcp_0123456789");
    });
    const response = await fetch(url, { method: "POST", body: "{}" });
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({ jsonrpc: "2.0", error: { code: -32603, message: "Internal server error." }, id: null });
    expect(text).not.toContain("secret");
  });

  it("aborts the request's signal when the client goes away before the answer", async () => {
    let aborted: () => void = () => {};
    const sawAbort = new Promise<void>((resolve) => (aborted = resolve));
    const url = await serve(
      (request) =>
        new Promise<Response>((resolve) => {
          request.signal.addEventListener("abort", () => {
            aborted();
            resolve(new Response(null, { status: 499 }));
          });
        }),
    );
    const client = new AbortController();
    const pending = fetch(url, { method: "POST", body: "{}", signal: client.signal }).catch(() => "gone");
    await new Promise((resolve) => setTimeout(resolve, 100));
    client.abort();
    await expect(pending).resolves.toBe("gone");
    await sawAbort;
  });

  it("still answers when the handler stops reading a body over its limit", async () => {
    const url = await serve(async (request) => {
      const body = await readBodyWithinLimit(request, 1024);
      return body === "too-large" ? Response.json({ error: "too large" }, { status: 413 }) : Response.json({ size: body.byteLength });
    });
    // Chunked (no Content-Length), so the limit is found by reading.
    const status = await new Promise<number>((resolve, reject) => {
      const upload = httpRequest(`${url}/api/mcp`, { method: "POST", headers: { "Transfer-Encoding": "chunked" } }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      upload.on("error", reject);
      for (let i = 0; i < 64; i++) upload.write("x".repeat(1024));
      upload.end();
    });
    expect(status).toBe(413);
  });

  it("reads the rest of a body refused from its Content-Length before closing, so the client gets the 413", async () => {
    const url = await serve(async (request) => {
      const body = await readBodyWithinLimit(request, 1024);
      return body === "too-large" ? Response.json({ error: "too large" }, { status: 413, headers: PAYLOAD_TOO_LARGE_HEADERS }) : Response.json({});
    });
    const { port } = new URL(url);
    const total = 4 * 1024 * 1024;
    // A raw socket, to send the body in two parts around the answer: closed under the second part, the
    // client's writes would be reset (a broken pipe, all a real client reports when its upload is still going).
    const socket = connect(Number(port), "127.0.0.1");
    const received: Buffer[] = [];
    let failure: Error | null = null;
    socket.on("data", (chunk) => received.push(chunk));
    socket.on("error", (error) => (failure = error));
    const ended = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    socket.write(`POST /api/mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${total}\r\n\r\n`);
    socket.write("x".repeat(64 * 1024));
    await expect.poll(() => Buffer.concat(received).toString("latin1")).toContain('{"error":"too large"}');
    const answer = Buffer.concat(received).toString("latin1");
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer.toLowerCase()).toContain("connection: close");
    // The answer is in; the rest of the upload still goes through, and only then does the server close.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(socket.destroyed).toBe(false);
    await new Promise<void>((resolve) => socket.write("x".repeat(total - 64 * 1024), () => resolve()));
    await ended;
    expect(failure).toBeNull();
  });

  it("cuts a refused upload that goes on past the lingering bound", async () => {
    const url = await serve(async () => new Response("refused", { status: 413, headers: PAYLOAD_TOO_LARGE_HEADERS }));
    const outcome = await new Promise<string>((resolve) => {
      const upload = httpRequest(`${url}/api/mcp`, { method: "POST", headers: { "Content-Length": String(1024 * 1024 * 1024) } }, (response) => {
        response.resume();
        response.on("end", () => resolve(`answered ${response.statusCode}`));
      });
      upload.on("error", () => resolve("cut"));
      // A client that never stops sending: 64 KiB at a time, for as long as the socket takes it.
      const chunk = "x".repeat(64 * 1024);
      const send = () => {
        while (!upload.destroyed && upload.write(chunk));
        if (!upload.destroyed) upload.once("drain", send);
      };
      send();
    });
    // Either the answer was read in full or the connection was cut: not an upload the server reads forever.
    expect(["answered 413", "cut"]).toContain(outcome);
  });

  it("gives the handler an error, not a hang, when the upload stops half-way", async () => {
    let outcome: (value: string) => void = () => {};
    const read = new Promise<string>((resolve) => (outcome = resolve));
    const url = await serve(async (request) => {
      try {
        await request.text();
        outcome("read");
      } catch {
        outcome("interrupted");
      }
      return new Response(null, { status: 400 });
    });
    const upload = httpRequest(`${url}/api/mcp`, { method: "POST", headers: { "Content-Length": "1000" } });
    upload.on("error", () => {});
    upload.write("x".repeat(100));
    await new Promise((resolve) => setTimeout(resolve, 100));
    upload.destroy();
    expect(await read).toBe("interrupted");
  });
});
