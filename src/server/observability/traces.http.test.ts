import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, startServer, type TestServer } from "~/test/server";

// A minimal OTLP/HTTP collector: keeps what is posted to /v1/traces (protobuf or JSON; span names and
// attribute strings appear as text in both) and answers 200 as a collector would.
interface Received {
  path: string;
  contentType: string;
  body: Buffer;
}

describe("traces over OTLP/HTTP", () => {
  let collector: Server;
  let server: TestServer;
  const received: Received[] = [];

  beforeAll(async () => {
    const port = await freePort();
    collector = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        received.push({ path: request.url ?? "", contentType: request.headers["content-type"] ?? "", body: Buffer.concat(chunks) });
        response.writeHead(200, { "content-type": request.headers["content-type"] ?? "application/json" }).end();
      });
    });
    await new Promise<void>((resolve) => collector.listen(port, "127.0.0.1", resolve));
    server = await startServer({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}` } });
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await new Promise((resolve) => collector?.close(resolve));
  });

  it("sends a span for a request made in the test to the collector", { timeout: 60_000 }, async () => {
    expect((await fetch(`${server.url}/api/health/ready`)).status).toBe(200);
    const deadline = Date.now() + 45_000;
    const carries = (text: string) => received.some((entry) => entry.path === "/v1/traces" && entry.body.includes(text));
    while (Date.now() < deadline && !carries("/api/health/ready")) await new Promise((resolve) => setTimeout(resolve, 250));
    expect(carries("/api/health/ready")).toBe(true);
    expect(carries("carestral")).toBe(true);
  });
});
