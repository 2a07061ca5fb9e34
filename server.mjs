// Production server: `next start` plus what a route handler cannot get from Next.js itself.
// - The socket's peer address, in a header the client cannot forge (src/server/auth/client-ip.ts): Next
//   removed NextRequest.ip, and it fills X-Forwarded-For from the socket only when the client sent none.
// - Deadlines on receiving a request (slow clients): Node's default lets a body trickle in for 300 s.
// - POST /api/mcp served by its handler directly, past Next.js's router (src/server/mcp/http.ts, serveMcpOverNode).
// - A request id and one JSON access line per request (src/server/observability/requests.ts, which
//   src/instrumentation-node.ts publishes during app.prepare(): the logger and its redaction live in the app).
// This file is the one bootstrap that reads process.env besides src/env.ts (which validates the same values).
import { createServer } from "node:http";
import next from "next";

const SOCKET_ADDRESS_HEADER = "x-carestral-socket-address";
// The MCP endpoint exactly (a query string allowed): /api/mcp/ and the rest keep Next.js's handling.
const MCP_PATH = /^\/api\/mcp(?:\?|$)/;
const port = Number(process.env.PORT || 3000);
const hostname = process.env.HOST || undefined;
// src/env.ts validates it too; the default is what a reverse proxy's own timeouts should stay under.
const requestTimeoutMs = Number(process.env.REQUEST_TIMEOUT_MS || 30_000);

// Tells the app (src/server/auth/client-ip.ts) that the socket address header is ours, not the client's.
process.env.CARESTRAL_SOCKET_ADDRESS_HEADER = "1";

const app = next({ dev: false, hostname, port });
const handle = app.getRequestHandler();
await app.prepare();
const hooks = await serverHooks();
let stopping = false;

// Deadlines are checked every connectionsCheckingInterval: keep that well under the request timeout.
const server = createServer({ connectionsCheckingInterval: Math.min(1_000, requestTimeoutMs / 2) }, (request, response) => {
  request.headers[SOCKET_ADDRESS_HEADER] = request.socket.remoteAddress ?? "";
  // Stopping: a kept-alive connection would go on bringing new requests after close(); this answer ends it.
  if (stopping) response.setHeader("Connection", "close");
  // POST /api/mcp, every AI client's every call, goes straight to its handler: Next.js's router and route
  // pipeline cost more CPU than the call itself (README, "Benchmarks"). Everything else is Next.js's.
  const serve = request.method === "POST" && MCP_PATH.test(request.url ?? "") ? hooks.serveMcp : handle;
  hooks.observeRequest(request, response, () => serve(request, response));
});
// Headers within 10 s, the whole request (body included) within REQUEST_TIMEOUT_MS; then Node answers 408
// and closes the connection.
server.headersTimeout = Math.min(10_000, requestTimeoutMs);
server.requestTimeout = requestTimeoutMs;
server.keepAliveTimeout = 5_000;
server.listen(port, hostname, () => {
  hooks.log.info(`Carestral listening on http://${hostname ?? "0.0.0.0"}:${port}`);
});

// What the app must finish once the last request is answered and before the process exits (the activity trail
// writes its buffer): functions it registers under this symbol (src/server/shutdown.ts). Shutdown waits for them
// for at most 5 s in all, so a database that stopped answering cannot keep a stopping instance alive.
const SHUTDOWN_TASKS = Symbol.for("carestral.shutdownTasks");
globalThis[SHUTDOWN_TASKS] ??= [];

/** Next starts src/instrumentation.ts (which runs instrumentation-node.ts) during prepare() without waiting for it; its first act is to publish these. */
async function serverHooks() {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const hooks = globalThis[Symbol.for("carestral.server-hooks")];
    if (hooks) return hooks;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error("src/instrumentation-node.ts did not publish the server hooks within 60 s: is the build complete?");
}

for (const signal of ["SIGTERM", "SIGINT"]) {
  process.once(signal, () => {
    // /api/health/ready answers 503 from now on; the listening socket closes, requests in flight are finished.
    stopping = true;
    globalThis[Symbol.for("carestral.stopping")] = true;
    hooks.log.info(`${signal}: stopping; finishing the requests in flight`);
    server.close(() => {
      void Promise.allSettled(globalThis[SHUTDOWN_TASKS].map((task) => task())).then(() => process.exit(0));
    });
    setTimeout(() => process.exit(0), 5_000).unref();
  });
}
