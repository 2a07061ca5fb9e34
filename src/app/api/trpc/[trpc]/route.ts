import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import superjson from "superjson";
import { appRouter } from "~/server/api/root";
import { createTRPCContext, MAX_BATCH_SIZE } from "~/server/api/trpc";
import { describeError } from "~/server/describe-error";
import { MAX_REQUEST_BODY_BYTES, PAYLOAD_TOO_LARGE_HEADERS, readBodyWithinLimit } from "~/server/http/body-limit";
import { log } from "~/server/observability/logger";

// The fetch adapter has no maxBodySize (the node-http one does): without this, a client could make the
// server buffer and JSON-parse a body of any size. No dashboard call comes near a mebibyte.
async function handler(req: Request): Promise<Response> {
  const response = await answer(req);
  // Answers carry personal data and, once, a token's plaintext: no cache may keep them.
  response.headers.set("Cache-Control", "no-store");
  return response;
}

async function answer(req: Request): Promise<Response> {
  // tRPC decodes the procedure path and answers a malformed % sequence with a 500.
  if (procedurePaths(req) === null) {
    return Response.json({ error: { message: "The procedure path is not valid percent-encoding." } }, { status: 400 });
  }
  const hasBody = req.body !== null;
  const body = await readBodyWithinLimit(req, MAX_REQUEST_BODY_BYTES);
  if (body === "too-large") return payloadTooLarge(req);
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req: hasBody ? new Request(req.url, { method: req.method, headers: req.headers, body, signal: req.signal }) : req,
    router: appRouter,
    // One request cannot carry more work than a page makes at once (the client batches at most as many).
    maxBatchSize: MAX_BATCH_SIZE,
    createContext: ({ resHeaders }) => createTRPCContext({ headers: req.headers, resHeaders }),
    onError({ error, path }) {
      // Expected failures are answers, not incidents; log only the unexpected, without input or headers.
      if (error.code === "INTERNAL_SERVER_ERROR") {
        log.error(`tRPC ${path ?? "<no path>"} failed: ${describeError(error)}`);
      }
    },
  });
}

/** A 413 in tRPC's own error envelope, so the tRPC client shows its message like any other error. */
function payloadTooLarge(req: Request): Response {
  const url = new URL(req.url);
  const paths = procedurePaths(req) ?? [];
  const errorFor = (path: string) => ({
    error: superjson.serialize({
      message: `The request body is larger than ${MAX_REQUEST_BODY_BYTES / 1024 / 1024} MiB, the most this API accepts.`,
      code: -32013, // JSON-RPC-style code tRPC uses for PAYLOAD_TOO_LARGE
      data: { code: "PAYLOAD_TOO_LARGE", httpStatus: 413, path },
    }),
  });
  const isBatch = url.searchParams.get("batch") === "1";
  return Response.json(isBatch ? paths.map(errorFor) : errorFor(paths[0] ?? ""), {
    status: 413,
    headers: PAYLOAD_TOO_LARGE_HEADERS,
  });
}

/** The procedure names of the URL (several when batched), or null when its path cannot be decoded. */
function procedurePaths(req: Request): string[] | null {
  try {
    return decodeURIComponent(new URL(req.url).pathname.replace(/^\/api\/trpc\/?/, "")).split(",");
  } catch {
    return null;
  }
}

export { handler as GET, handler as POST };
