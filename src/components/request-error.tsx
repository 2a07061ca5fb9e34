"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import type { ReactNode } from "react";

export type RequestFailure =
  | { kind: "signed-out" }
  | { kind: "unreachable" }
  | { kind: "refused"; status: number }
  | { kind: "message"; message: string };

interface ClientErrorShape {
  message?: unknown;
  data?: { code?: unknown; httpStatus?: unknown } | null;
  meta?: { response?: { status?: unknown } } | null;
}

/** What went wrong with a tRPC call, in the terms a person can act on. */
export function classifyRequestError(error: unknown): RequestFailure {
  const shape = (error ?? {}) as ClientErrorShape;
  if (shape.data?.code === "UNAUTHORIZED") return { kind: "signed-out" };
  if (shape.data) return { kind: "message", message: String(shape.message ?? "Something went wrong.") };
  // No tRPC answer at all: either nothing came back (server down, network gone), or something other than
  // our API answered (a proxy, the Origin check) with a status and no tRPC body.
  const status = shape.meta?.response?.status;
  if (typeof status === "number" && status >= 400) return { kind: "refused", status };
  return { kind: "unreachable" };
}

/**
 * A failed request as a sentence with a way out: sign in again (with a link back here), check the server,
 * or the server's own message. `attempt` completes "Could not …", e.g. "load your tokens".
 */
export function RequestErrorMessage({ error, attempt }: { error: unknown; attempt: string }): ReactNode {
  const pathname = usePathname();
  const failure = classifyRequestError(error);
  switch (failure.kind) {
    case "signed-out":
      return (
        <>
          Your session has ended, perhaps because you signed out in another tab.{" "}
          <Link href={`/login?next=${encodeURIComponent(pathname)}`}>Sign in again</Link> to {attempt}.
        </>
      );
    case "unreachable":
      return (
        <>
          Could not {attempt}: Carestral’s server cannot be reached. Check your connection (or, if you run Carestral, that
          the server is running), then try again.
        </>
      );
    case "refused":
      return (
        <>
          Could not {attempt}: the server refused the request (HTTP {failure.status}). Reload the page; if this page’s
          address is not the one Carestral is configured with (<code>APP_URL</code>), open it at that address.
        </>
      );
    case "message":
      return (
        <>
          Could not {attempt}: {failure.message}
        </>
      );
  }
}

/**
 * The message as an alert paragraph (or span, inline). A session that ended is not painted as an error: it is
 * the ordinary end of a session, and what matters in it is the link.
 */
export function RequestErrorAlert({
  error,
  attempt,
  className = "form-error",
  inline = false,
}: {
  error: unknown;
  attempt: string;
  className?: string;
  inline?: boolean;
}): ReactNode {
  const Element = inline ? "span" : "p";
  return (
    <Element className={classifyRequestError(error).kind === "signed-out" ? undefined : className} role="alert">
      <RequestErrorMessage error={error} attempt={attempt} />
    </Element>
  );
}

/**
 * A section whose data did not load, in its place: why, and Retry, so the rest of the page stays usable (a
 * database outage, a server restart). No Retry for an ended session: signing in again is the way on.
 */
export function LoadFailure({ error, attempt, onRetry, retrying }: { error: unknown; attempt: string; onRetry(): void; retrying: boolean }) {
  const signedOut = classifyRequestError(error).kind === "signed-out";
  return (
    <div role="alert" className="card">
      <p className={signedOut ? undefined : "error"}>
        <RequestErrorMessage error={error} attempt={attempt} />
      </p>
      {!signedOut && (
        <button type="button" onClick={onRetry} disabled={retrying}>
          Retry
        </button>
      )}
    </div>
  );
}
