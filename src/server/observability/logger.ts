import { AsyncLocalStorage } from "node:async_hooks";
import pino, { type Logger } from "pino";
import { env } from "~/env";
import { processSingleton } from "~/server/process-singleton";

/**
 * What a log line knows about the request it belongs to. server.mjs opens one per request (runWithRequest),
 * the MCP and tRPC layers add the caller once it is known (noteCaller), and its access line reads it back.
 */
export interface RequestContext {
  requestId: string;
  personId?: string;
  tokenId?: string;
}

/**
 * Keys whose values never reach a line, at the top level and one level down (pino's redact paths). Messages
 * are plain text built by us, so they are scrubbed too (scrubSecrets): a token or a link pasted into an
 * error message must not get through that way either.
 */
const REDACTED_KEYS = [
  "authorization",
  "cookie",
  "set-cookie",
  "token",
  "accessToken",
  "refreshToken",
  "password",
  "newPassword",
  "currentPassword",
  "secret",
  "clientSecret",
  "totpSecret",
  "resetLink",
  "link",
  "url",
];
const REDACT_PATHS = REDACTED_KEYS.flatMap((key) => [`["${key}"]`, `*["${key}"]`, `*.*["${key}"]`]);

const SECRET_PATTERNS: [RegExp, string][] = [
  // Our token formats (src/server/tokens/token.ts), whole or cut short: the prefix stays to say which kind it was.
  [/\b(mcp|mcpo|mcpr)_[0-9A-Za-z]{4,}/g, "$1_[redacted]"],
  [/\b(Bearer|Basic)\s+[^\s,;"']+/gi, "$1 [redacted]"],
  // Links and forms carrying one-time secrets: reset and verification links, OAuth codes, PKCE verifiers.
  [/\b(token|code|code_verifier|refresh_token|access_token|client_secret|password|secret|state)=[^&\s"'#]+/gi, "$1=[redacted]"],
  [/\b(carestral_session|__Host-[\w-]+|__Secure-[\w-]+)=[^;\s"']+/g, "$1=[redacted]"],
];

/** Removes anything shaped like a credential or a secret-bearing link from free text. */
export function scrubSecrets(text: string): string {
  let scrubbed = text;
  for (const [pattern, replacement] of SECRET_PATTERNS) scrubbed = scrubbed.replace(pattern, replacement);
  return scrubbed;
}

interface Logging {
  logger: Logger;
  requests: AsyncLocalStorage<RequestContext>;
}

// One logger and one request store per process, whatever number of copies of this module Next's bundles hold
// (and server.mjs, which reaches them through the same symbol once the app is prepared).

function createLogging(): Logging {
  const requests = new AsyncLocalStorage<RequestContext>();
  return { logger: createLogger(logDestination(), requests, env.LOG_LEVEL), requests };
}

/** The logger's one configuration: JSON lines, ISO time, the request's ids mixed in, secrets redacted and scrubbed. */
export function createLogger(destination: pino.DestinationStream, requests: AsyncLocalStorage<RequestContext>, level: string): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    messageKey: "msg",
    mixin: () => {
      const context = requests.getStore();
      return context ? { requestId: context.requestId, personId: context.personId, tokenId: context.tokenId } : {};
    },
    hooks: {
      logMethod(args, method) {
        method.apply(this, args.map((arg) => (typeof arg === "string" ? scrubSecrets(arg) : arg)) as Parameters<typeof method>);
      },
    },
    serializers: { err: (error: unknown) => (error instanceof Error ? { type: error.name, message: scrubSecrets(error.message) } : error) },
  };
  return pino(options, destination);
}

/** JSON lines on stdout; readable lines under `next dev` (pino-pretty as a stream: Next cannot load transports' workers). */
function logDestination(): pino.DestinationStream {
  if (env.NODE_ENV === "development") {
    try {
      // A development dependency: absent from a production install, where this branch never runs.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const pretty = require("pino-pretty") as (options: object) => pino.DestinationStream;
      return pretty({ sync: true, colorize: true, translateTime: "SYS:HH:MM:ss", ignore: "pid,hostname" });
    } catch {
      // No pino-pretty: JSON it is.
    }
  }
  return pino.destination({ dest: 1, sync: true });
}

function logging(): Logging {
  return processSingleton("logging", createLogging);
}

/** The process's logger: `log.error({ err }, "what failed")`, `log.info("…")`. */
export const log: Logger = logging().logger;

/** Runs a request's handling with its context, so that every line logged during it carries the request id. */
export function runWithRequest<T>(context: RequestContext, handle: () => T): T {
  return logging().requests.run(context, handle);
}

/**
 * Runs `work` outside any request: for process-wide work a request merely sets off (a timer armed, a batch
 * chained), whose lines must not carry that request's ids, nor the caller noteCaller adds to it later.
 */
export function outsideRequest<T>(work: () => T): T {
  return logging().requests.exit(work);
}

/** The id of the request being handled, when there is one (server.mjs). */
export function currentRequestId(): string | undefined {
  return logging().requests.getStore()?.requestId;
}

/** Records who is calling once authentication knows it; later lines of the request, and its access line, carry the ids. */
export function noteCaller(caller: { personId?: string | null; tokenId?: string | null }): void {
  const context = logging().requests.getStore();
  if (!context) return;
  if (caller.personId) context.personId = caller.personId;
  if (caller.tokenId) context.tokenId = caller.tokenId;
}
