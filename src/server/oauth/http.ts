import "server-only";
import { describeError } from "~/server/describe-error";
import { isDatabaseUnavailable } from "~/server/db";
import { readBodyWithinLimit } from "~/server/http/body-limit";
import { CORS_HEADERS } from "./metadata";

// HTTP shapes shared by the token, registration and revocation endpoints (RFC 6749 §5, RFC 7591 §3).

/** Token, registration and revocation requests are small; nothing legitimate comes near this. */
const MAX_OAUTH_BODY_BYTES = 16 * 1024;

const NO_STORE = { "Cache-Control": "no-store", Pragma: "no-cache" } as const;

export function oauthJson(body: object, status = 200): Response {
  return Response.json(body, { status, headers: { ...NO_STORE, ...CORS_HEADERS } });
}

/** An RFC 6749 §5.2 error. The description is ours, fixed or built from our own rules: never a secret. */
export function oauthError(status: number, error: string, description: string, headers: Record<string, string> = {}): Response {
  return Response.json({ error, error_description: description }, { status, headers: { ...NO_STORE, ...CORS_HEADERS, ...headers } });
}

export type ReadBody<T> = { ok: true; value: T } | { ok: false; response: Response };

/** An application/x-www-form-urlencoded body (RFC 6749 §3.2), within the size limit. */
export async function readForm(request: Request): Promise<ReadBody<URLSearchParams>> {
  const type = request.headers.get("content-type")?.split(";")[0]?.trim().toLowerCase();
  if (type !== "application/x-www-form-urlencoded") {
    return { ok: false, response: oauthError(400, "invalid_request", "Send the parameters as application/x-www-form-urlencoded.") };
  }
  const text = await readText(request);
  return text.ok ? { ok: true, value: new URLSearchParams(text.value) } : text;
}

/** A JSON object body (RFC 7591 §3.1), within `maxBytes`. */
export async function readJsonObject(request: Request, errorCode: string, maxBytes = MAX_OAUTH_BODY_BYTES): Promise<ReadBody<unknown>> {
  const type = request.headers.get("content-type")?.split(";")[0]?.trim().toLowerCase();
  if (type !== "application/json") return { ok: false, response: oauthError(400, errorCode, "Send the client metadata as application/json.") };
  const text = await readText(request, maxBytes);
  if (!text.ok) return text;
  try {
    const value: unknown = JSON.parse(text.value);
    if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error("not an object");
    return { ok: true, value };
  } catch {
    return { ok: false, response: oauthError(400, errorCode, "The body is not a JSON object.") };
  }
}

async function readText(request: Request, maxBytes = MAX_OAUTH_BODY_BYTES): Promise<ReadBody<string>> {
  let body: Awaited<ReturnType<typeof readBodyWithinLimit>>;
  try {
    body = await readBodyWithinLimit(request, maxBytes);
  } catch {
    return { ok: false, response: oauthError(400, "invalid_request", "The request body could not be read.") };
  }
  if (body === "too-large") return { ok: false, response: oauthError(413, "invalid_request", `The request body is larger than ${maxBytes / 1024} KiB.`) };
  try {
    return { ok: true, value: new TextDecoder("utf-8", { fatal: true }).decode(body) };
  } catch {
    return { ok: false, response: oauthError(400, "invalid_request", "The request body is not valid UTF-8.") };
  }
}

/** A database failure becomes 503 (RFC 6749's temporarily_unavailable); anything else is logged once, without secrets. */
export function oauthServerError(endpoint: string, error: unknown): Response {
  if (isDatabaseUnavailable(error)) {
    return oauthError(503, "temporarily_unavailable", "The database is unavailable. Try again shortly.", { "Retry-After": "5" });
  }
  console.error(`OAuth ${endpoint} failed: ${describeError(error)}`);
  return oauthError(500, "server_error", "Something went wrong on our side. Try again in a moment.");
}
