import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import superjson from "superjson";
import { appRouter } from "~/server/api/root";
import { createTRPCContext } from "~/server/api/trpc";

// The fetch adapter has no maxBodySize (the node-http one does): without this, a client could make the
// server buffer and JSON-parse a body of any size. No dashboard call comes near a mebibyte.
const MAX_BODY_BYTES = 1024 * 1024;

async function handler(req: Request): Promise<Response> {
  const body = await readBodyWithinLimit(req, MAX_BODY_BYTES);
  if (body === "too-large") return payloadTooLarge(req);
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req: body === null ? req : new Request(req.url, { method: req.method, headers: req.headers, body, signal: req.signal }),
    router: appRouter,
    createContext: ({ resHeaders }) => createTRPCContext({ headers: req.headers, resHeaders }),
    onError({ error, path }) {
      // Expected failures are answers, not incidents; log only the unexpected, without input or headers.
      if (error.code === "INTERNAL_SERVER_ERROR") {
        console.error(`tRPC ${path ?? "<no path>"} failed: ${describeCause(error)}`);
      }
    },
  });
}

/**
 * The innermost cause's name, SQLSTATE or errno code, and message. Not the error itself: Drizzle's
 * "Failed query" error carries the query parameters (a password hash, a user's notes) in its message and
 * fields, and logging it whole would write them to the log.
 */
function describeCause(error: Error): string {
  let innermost: Error = error;
  for (let depth = 0; depth < 5 && innermost.cause instanceof Error; depth++) innermost = innermost.cause;
  const code = (innermost as { code?: unknown }).code;
  const message = innermost.message.startsWith("Failed query:") ? "query failed" : innermost.message;
  return `${innermost.name}${typeof code === "string" ? ` ${code}` : ""}: ${message}`;
}

/**
 * The request body, or "too-large" as soon as it is known to exceed `limit`: from Content-Length before
 * reading anything, else (chunked uploads) by counting while reading and stopping at the limit.
 */
async function readBodyWithinLimit(req: Request, limit: number): Promise<Uint8Array<ArrayBuffer> | null | "too-large"> {
  const declared = Number(req.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > limit) return "too-large";
  if (!req.body) return null;

  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      return "too-large";
    }
    chunks.push(value);
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

/** A 413 in tRPC's own error envelope, so the tRPC client shows its message like any other error. */
function payloadTooLarge(req: Request): Response {
  const url = new URL(req.url);
  const paths = decodeURIComponent(url.pathname.replace(/^\/api\/trpc\/?/, "")).split(",");
  const errorFor = (path: string) => ({
    error: superjson.serialize({
      message: `The request body is larger than ${MAX_BODY_BYTES / 1024 / 1024} MiB, the most this API accepts.`,
      code: -32013, // JSON-RPC-style code tRPC uses for PAYLOAD_TOO_LARGE
      data: { code: "PAYLOAD_TOO_LARGE", httpStatus: 413, path },
    }),
  });
  const isBatch = url.searchParams.get("batch") === "1";
  return Response.json(isBatch ? paths.map(errorFor) : errorFor(paths[0] ?? ""), {
    status: 413,
    // The body was not read to the end: the connection cannot carry another request.
    headers: { connection: "close" },
  });
}

export { handler as GET, handler as POST };
