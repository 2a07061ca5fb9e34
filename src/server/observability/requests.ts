import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { performance } from "node:perf_hooks";
import { env } from "~/env";
import { log, runWithRequest, type RequestContext } from "./logger";

export const REQUEST_ID_HEADER = "x-request-id";

/** What a proxy may hand us as a request id: short, printable, nothing a log reader could mistake for structure. */
const REQUEST_ID_PATTERN = /^[\w.:@/+=-]{1,128}$/;

/**
 * The request's id: the one a trusted proxy sent in X-Request-Id (TRUSTED_PROXIES, as for X-Forwarded-For),
 * else a new one. A client reaching us directly could otherwise pick ids that collide with others' requests.
 */
export function requestIdFor(sent: string | string[] | undefined, trustProxies: boolean = env.TRUSTED_PROXIES.kind !== "none"): string {
  const value = Array.isArray(sent) ? sent[0] : sent;
  if (trustProxies && value && REQUEST_ID_PATTERN.test(value)) return value;
  return randomUUID();
}

// Asset and probe requests are many and tell an operator little: logged at debug, not info.
const QUIET_PATHS = /^\/(_next\/|api\/health|api\/metrics|favicon|icon|sw\.js)/;

/**
 * Wraps one request's handling (server.mjs): gives it an id (also in X-Request-Id both ways, so the app and the
 * client see it), runs it inside its log context, and writes one access line when it ends: route (the path,
 * never the query string, which can hold codes and links), status, duration and the caller's ids where known.
 */
export function observeRequest(request: IncomingMessage, response: ServerResponse, handle: () => unknown): void {
  const context: RequestContext = { requestId: requestIdFor(request.headers[REQUEST_ID_HEADER]) };
  request.headers[REQUEST_ID_HEADER] = context.requestId;
  response.setHeader("X-Request-Id", context.requestId);
  const started = performance.now();
  const route = (request.url ?? "/").split("?")[0]?.slice(0, 200) ?? "/";
  let logged = false;
  const logLine = () => {
    if (logged) return;
    logged = true;
    const line = {
      requestId: context.requestId,
      personId: context.personId,
      tokenId: context.tokenId,
      method: request.method,
      route,
      status: response.statusCode,
      durationMs: Math.round((performance.now() - started) * 10) / 10,
      ...(response.writableFinished ? {} : { aborted: true }),
    };
    if (QUIET_PATHS.test(route)) log.debug(line, "request");
    else log.info(line, "request");
  };
  response.once("finish", logLine);
  response.once("close", logLine);
  runWithRequest(context, handle);
}

/** What server.mjs looks up once the app is prepared (instrumentation-node.ts publishes it). */
export interface ServerHooks {
  observeRequest: typeof observeRequest;
  log: typeof log;
  /** POST /api/mcp, served past Next.js's router (src/server/mcp/http.ts, serveMcpOverNode). */
  serveMcp: (request: IncomingMessage, response: ServerResponse) => Promise<void>;
}

const SERVER_HOOKS = Symbol.for("carestral.server-hooks");

export function publishServerHooks(hooks: ServerHooks): void {
  (globalThis as { [SERVER_HOOKS]?: ServerHooks })[SERVER_HOOKS] = hooks;
}
