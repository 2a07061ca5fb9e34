/** The most any JSON API of ours (/api/mcp, /api/trpc) accepts in one request body. */
export const MAX_REQUEST_BODY_BYTES = 1024 * 1024;

/** True when the request's Content-Length already says its body is over `limit`: refusable unread. */
export function declaresBodyOver(request: Request, limit: number): boolean {
  const declared = Number(request.headers.get("content-length"));
  return Number.isFinite(declared) && declared > limit;
}

/**
 * The whole request body (empty when there is none), or "too-large" as soon as it is known to exceed
 * `limit`: from Content-Length before reading anything, else (chunked uploads) by counting while reading
 * and stopping at the limit, so an oversize body is never held whole.
 */
export async function readBodyWithinLimit(request: Request, limit: number): Promise<Uint8Array<ArrayBuffer> | "too-large"> {
  if (declaresBodyOver(request, limit)) return "too-large";
  if (!request.body) return new Uint8Array();

  const reader = request.body.getReader();
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

/** Response headers for a 413: the unread rest of the body is on the socket, so it cannot carry another request. */
export const PAYLOAD_TOO_LARGE_HEADERS = { Connection: "close" } as const;
