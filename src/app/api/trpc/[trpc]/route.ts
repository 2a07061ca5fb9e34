import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import superjson from "superjson";
import { appRouter } from "~/server/api/root";
import { createTRPCContext, MAX_BATCH_SIZE } from "~/server/api/trpc";
import { describeError } from "~/server/describe-error";
import { MAX_REQUEST_BODY_BYTES, PAYLOAD_TOO_LARGE_HEADERS, readBodyWithinLimit } from "~/server/http/body-limit";

// The fetch adapter has no maxBodySize (the node-http one does): without this, a client could make the
// server buffer and JSON-parse a body of any size. No dashboard call comes near a mebibyte.
async function handler(req: Request): Promise<Response> {
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
        console.error(`tRPC ${path ?? "<no path>"} failed: ${describeError(error)}`);
      }
    },
  });
}

/** A 413 in tRPC's own error envelope, so the tRPC client shows its message like any other error. */
function payloadTooLarge(req: Request): Response {
  const url = new URL(req.url);
  const paths = decodeURIComponent(url.pathname.replace(/^\/api\/trpc\/?/, "")).split(",");
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

export { handler as GET, handler as POST };
