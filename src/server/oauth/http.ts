import "server-only";
import { describeError } from "~/server/describe-error";
import { isDatabaseUnavailable, withDb, type Database } from "~/server/db";
import { readBodyWithinLimit } from "~/server/http/body-limit";
import { OAuthError } from "./errors";
import { CORS_HEADERS } from "./metadata";
import { log } from "~/server/observability/logger";

// The one error path of the OAuth routes (token, registration, revocation, introspection, the consent answer):
// oauthRoute owns reading the body (size bound, form or JSON), the database deadline, and turning whatever
// was thrown into the answer: an OAuthError into its RFC 6749 JSON (or text, for the browser's form), a
// database failure into 503, anything else into a logged 500.

export { OAuthError } from "./errors";

/** Token, registration and revocation requests are small; nothing legitimate comes near this. */
const MAX_OAUTH_BODY_BYTES = 16 * 1024;

const NO_STORE = { "Cache-Control": "no-store", Pragma: "no-cache" } as const;

export function oauthJson(body: object, status = 200): Response {
  return Response.json(body, { status, headers: { ...NO_STORE, ...CORS_HEADERS } });
}

/** An RFC 6749 §5.2 error. The description is ours, fixed or built from our own rules: never a secret. */
export function oauthError(status: number, error: string, description: string, headers: Readonly<Record<string, string>> = {}): Response {
  return Response.json({ error, error_description: description }, { status, headers: { ...NO_STORE, ...CORS_HEADERS, ...headers } });
}

export interface OAuthRequest {
  request: Request;
  /**
   * The application/x-www-form-urlencoded body (RFC 6749 §3.2), within 16 KiB. `anyContentType`: a browser's
   * form post, read as a form whatever it says it is.
   */
  form(options?: { anyContentType?: boolean }): Promise<URLSearchParams>;
  /** A JSON object body (RFC 7591 §3.1) within `maxBytes`; `errorCode` names what is wrong with another body. */
  json(errorCode: string, maxBytes?: number): Promise<object>;
  /** `work` on the app's database ("auth": verification's own pool), within the database deadline. */
  withDatabase<T>(work: (db: Database) => Promise<T>, options?: { pool?: "app" | "auth"; deadlineMs?: number }): Promise<T>;
}

/**
 * An OAuth route handler. `endpoint` names it in the log; `answers`: "json" for clients (RFC 6749 §5.2 bodies,
 * open CORS), "text" for the consent form's answer in a browser.
 */
export function oauthRoute(endpoint: string, handle: (request: OAuthRequest) => Promise<Response>, answers: "json" | "text" = "json"): (request: Request) => Promise<Response> {
  return async (request) => {
    try {
      return await handle(oauthRequest(request));
    } catch (error) {
      if (error instanceof OAuthError) return answers === "json" ? oauthError(error.status, error.code, error.description, error.headers) : plainText(error.status, error.description);
      if (isDatabaseUnavailable(error)) {
        return answers === "json"
          ? oauthError(503, "temporarily_unavailable", "The database is unavailable. Try again shortly.", { "Retry-After": "5" })
          : plainText(503, "The database is unavailable. Go back and try again in a moment.");
      }
      log.error(`OAuth ${endpoint} failed: ${describeError(error)}`);
      return answers === "json"
        ? oauthError(500, "server_error", "Something went wrong on our side. Try again in a moment.")
        : plainText(500, "Something went wrong on our side. Go back and try again.");
    }
  };
}

function oauthRequest(request: Request): OAuthRequest {
  return {
    request,
    async form(options = {}) {
      if (!options.anyContentType && mediaType(request) !== "application/x-www-form-urlencoded") {
        throw new OAuthError(400, "invalid_request", "Send the parameters as application/x-www-form-urlencoded.");
      }
      return new URLSearchParams(await readText(request, MAX_OAUTH_BODY_BYTES));
    },
    async json(errorCode, maxBytes = MAX_OAUTH_BODY_BYTES) {
      if (mediaType(request) !== "application/json") throw new OAuthError(400, errorCode, "Send the client metadata as application/json.");
      const text = await readText(request, maxBytes);
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        value = undefined;
      }
      if (typeof value !== "object" || value === null || Array.isArray(value)) throw new OAuthError(400, errorCode, "The body is not a JSON object.");
      return value;
    },
    withDatabase: withDb,
  };
}

function mediaType(request: Request): string | undefined {
  return request.headers.get("content-type")?.split(";")[0]?.trim().toLowerCase();
}

async function readText(request: Request, maxBytes: number): Promise<string> {
  let body: Awaited<ReturnType<typeof readBodyWithinLimit>>;
  try {
    body = await readBodyWithinLimit(request, maxBytes);
  } catch {
    throw new OAuthError(400, "invalid_request", "The request body could not be read.");
  }
  if (body === "too-large") throw new OAuthError(413, "invalid_request", `The request body is larger than ${maxBytes / 1024} KiB.`);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(body);
  } catch {
    throw new OAuthError(400, "invalid_request", "The request body is not valid UTF-8.");
  }
}

function plainText(status: number, message: string): Response {
  return new Response(message, { status, headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" } });
}
