import type { IncomingMessage, ServerResponse } from "node:http";
import { describeError } from "~/server/describe-error";
import { log } from "~/server/observability/logger";

/** A route handler's shape: a web Request in, a Response out. */
export type FetchHandler = (request: Request) => Promise<Response>;

/**
 * Serves a Node.js request with a fetch-style handler, the way Next.js serves a route handler, without the rest of
 * Next.js's request pipeline: server.mjs sends POST /api/mcp here (see serveMcpOverNode). The request's body reaches
 * the handler as a stream it reads at its own pace, its signal aborts when the client goes away before the answer
 * is sent, and the answer is written back as it streams (an SSE response included), waiting for the client to take
 * each part. A handler that throws gets a JSON-RPC internal error, never the error itself. A body the handler left
 * unread (refused from its Content-Length) is read and discarded before the answer ends, within bounds.
 */
export async function serveWithFetchHandler(request: IncomingMessage, response: ServerResponse, handler: FetchHandler): Promise<void> {
  const abort = new AbortController();
  response.once("close", () => {
    if (!response.writableFinished) abort.abort();
  });
  let answer: Response;
  try {
    answer = await handler(webRequestOf(request, abort.signal));
  } catch (error) {
    log.error(`${request.method ?? "?"} ${request.url?.split("?")[0] ?? "/"} failed: ${describeError(error)}`);
    // The client learns only that it failed.
    answer = Response.json({ jsonrpc: "2.0", error: { code: -32603, message: "Internal server error." }, id: null }, { status: 500 });
  }
  await writeAnswer(answer, response, () => untilRequestEnds(request));
}

function webRequestOf(request: IncomingMessage, signal: AbortSignal): Request {
  const method = request.method ?? "GET";
  return new Request(new URL(request.url ?? "/", originOf(request)), {
    method,
    headers: headersOf(request),
    body: method === "GET" || method === "HEAD" ? null : bodyOf(request),
    // @ts-expect-error undici needs it for a streamed body; the DOM types do not know it yet.
    duplex: "half",
    signal,
  });
}

/** The URL's origin as Next.js builds it, from the Host header; a Host that is not one falls back to localhost. */
function originOf(request: IncomingMessage): string {
  const host = request.headers.host;
  if (host && URL.canParse(`http://${host}`)) return `http://${host}`;
  return "http://localhost";
}

function headersOf(request: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else if (value !== undefined) headers.set(name, value);
  }
  return headers;
}

/**
 * The body as a web stream that reads from the socket only as fast as the handler asks. A handler that stops
 * reading (a body over its limit) cancels it; Node.js then discards the rest once the answer is sent.
 */
function bodyOf(request: IncomingMessage): ReadableStream<Uint8Array> {
  let settled = false;
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        request.pause();
        request.on("data", (chunk: Buffer) => {
          controller.enqueue(chunk);
          if ((controller.desiredSize ?? 0) <= 0) request.pause();
        });
        request.once("end", () => {
          if (settled) return;
          settled = true;
          controller.close();
        });
        request.once("close", () => {
          // Closed before its end: the client went away mid-upload.
          if (settled) return;
          settled = true;
          controller.error(new Error("The request body was interrupted."));
        });
      },
      pull() {
        request.resume();
      },
      cancel() {
        settled = true;
        request.removeAllListeners("data");
      },
    },
    { highWaterMark: 1 },
  );
}

/**
 * A body the handler left unread, taken off the wire and dropped, so that the answer can end. A 413 says
 * Connection: close, and Node.js closes the socket as soon as such an answer ends: a client still uploading
 * would then have its writes reset and see a broken pipe instead of the 413 (nginx's "lingering close" is
 * the same cure). Bounded, for a client that never stops sending: past LINGER_BYTES or LINGER_MS the
 * answer ends anyway and the connection is cut.
 */
const LINGER_BYTES = 16 * 1024 * 1024;
const LINGER_MS = 5_000;

function untilRequestEnds(request: IncomingMessage): Promise<void> {
  if (request.complete || request.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    let bytes = 0;
    const done = () => {
      clearTimeout(timer);
      request.off("data", discard);
      request.off("end", done);
      request.off("close", done);
      resolve();
    };
    const discard = (chunk: Buffer) => {
      bytes += chunk.byteLength;
      if (bytes > LINGER_BYTES) done();
    };
    const timer = setTimeout(done, LINGER_MS);
    // The body stream's own listener (bodyOf) would queue what nobody reads any more.
    request.removeAllListeners("data");
    request.on("data", discard);
    request.once("end", done);
    request.once("close", done);
    request.resume();
  });
}

/** Ends the answer once the request has been read to its end (see untilRequestEnds); cut when it has not. */
async function endAnswer(response: ServerResponse, requestEnded: () => Promise<void>): Promise<void> {
  // The status line and what is written so far go out first: the client can read them while it still sends.
  if (!response.req.complete) response.flushHeaders();
  await requestEnded();
  // Past the bounds: the connection cannot carry another request, so it closes once the answer is out.
  const cut = !response.req.complete;
  response.end(() => {
    if (cut) response.req.socket?.destroy();
  });
}

async function writeAnswer(answer: Response, response: ServerResponse, requestEnded: () => Promise<void>): Promise<void> {
  response.statusCode = answer.status;
  for (const [name, value] of answer.headers) if (name !== "set-cookie") response.setHeader(name, value);
  const cookies = answer.headers.getSetCookie();
  if (cookies.length > 0) response.setHeader("set-cookie", cookies);
  if (!answer.body) {
    await endAnswer(response, requestEnded);
    return;
  }
  const reader = answer.body.getReader();
  // A client that leaves mid-stream (an SSE answer) stops the stream's producer too.
  const stop = () => void reader.cancel().catch(() => {});
  response.once("close", stop);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!response.write(value)) await drained(response);
      if (response.destroyed) return;
    }
    await endAnswer(response, requestEnded);
  } catch {
    // The body failed mid-way: the status line is already sent, so only ending the connection says so.
    response.destroy();
  } finally {
    response.off("close", stop);
  }
}

function drained(response: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      response.off("drain", done);
      response.off("close", done);
      resolve();
    };
    response.once("drain", done);
    response.once("close", done);
  });
}
