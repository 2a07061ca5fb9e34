import { eq } from "drizzle-orm";
import { describeDevice } from "~/server/auth/device";
import { listPasskeys } from "~/server/auth/passkeys";
import { listUserSessions } from "~/server/auth/session";
import { listBookings } from "~/server/bookings/queries";
import type { Database } from "~/server/db/client";
import { users } from "~/server/db/schema";
import { exportActivity } from "~/server/activity/queries";
import { withDatabaseDeadline } from "~/server/db/deadline";
import { describeError } from "~/server/describe-error";
import { listConnectedApps } from "~/server/oauth/grants";
import { listTokens } from "~/server/tokens/service";
import { log } from "~/server/observability/logger";

// "Export my data" (GDPR art. 15 and 20): everything the app holds about a person, as JSON. One entry per
// kind of data; a new kind is one more line in `sections` (the activity trail, the one that grows without
// bound, is streamed after them). Each reader names its columns, so no secret
// (password hash, token hash, session id) can slip in.

async function exportProfile(db: Database, userId: string) {
  const [profile] = await db
    .select({
      id: users.id,
      email: users.email,
      firstname: users.firstname,
      surname: users.surname,
      createdAt: users.createdAt,
      emailVerifiedAt: users.emailVerifiedAt,
    })
    .from(users)
    .where(eq(users.id, userId));
  return profile ?? null;
}

async function exportSessions(db: Database, userId: string) {
  const sessions = await listUserSessions(db, userId);
  return sessions.map(({ userAgent, createdAt, lastSeenAt, expiresAt }) => ({
    device: describeDevice(userAgent),
    userAgent,
    createdAt,
    lastSeenAt,
    expiresAt,
  }));
}

const sections = {
  profile: exportProfile,
  sessions: exportSessions,
  // Names and dates only: the public key and credential id are no use to the person, and identify the device.
  passkeys: listPasskeys,
  tokens: listTokens,
  connectedApps: listConnectedApps,
  bookings: (db: Database, userId: string) => listBookings(db, userId),
} satisfies Record<string, (db: Database, userId: string) => Promise<unknown>>;

/** Everything but the activity trail: a few rows per person, read before the answer starts. */
export type AccountSections = { [Name in keyof typeof sections]: Awaited<ReturnType<(typeof sections)[Name]>> };

export async function readAccountSections(db: Database, userId: string): Promise<AccountSections> {
  const entries = await Promise.all(Object.entries(sections).map(async ([name, read]) => [name, await read(db, userId)] as const));
  return Object.fromEntries(entries) as AccountSections;
}

/** How long one export may take from its first byte to its last; past it, reading stops and the download fails. */
export const EXPORT_DEADLINE_MS = 10 * 60_000;

/** Thrown into the stream when the export's deadline passes. */
export class ExportDeadlineError extends Error {
  override readonly name = "ExportDeadlineError";
}

/** `text` (JSON.stringify(…, null, 2) of one value) as it sits `depth` levels deep in the document. */
function nested(text: string, depth: number): string {
  return text.replaceAll("\n", `\n${"  ".repeat(depth)}`);
}

/** Calls read per query: a page is one chunk of the download, small enough to be garbage before it ages. */
const EXPORT_PAGE_SIZE = 500;

/**
 * The export as JSON text, chunk by chunk: the sections first, then the activity trail one page at a time,
 * oldest first, so that memory holds one page whatever the trail's length (issue 19 item 3: 30 exports built in
 * memory took a server from 650 MB to 3.8 GB). Each call is one line of compact JSON. Stops before its next page
 * once `signal` aborts.
 */
async function* accountExportText(db: Database, userId: string, head: AccountSections, now: Date, signal: AbortSignal): AsyncGenerator<string> {
  yield `{\n  "exportedAt": ${JSON.stringify(now.toISOString())},\n`;
  for (const [name, value] of Object.entries(head)) yield `  ${JSON.stringify(name)}: ${nested(JSON.stringify(value, null, 2), 1)},\n`;
  yield `  "activity": [`;
  let separator = "\n    ";
  const period = { from: new Date(0), to: new Date(now.getTime() + 60_000) };
  for await (const page of exportActivity(db, { userId }, period, EXPORT_PAGE_SIZE)) {
    if (signal.aborted) return;
    let text = "";
    for (const entry of page) {
      text += separator + JSON.stringify(entry);
      separator = ",\n    ";
    }
    yield text;
  }
  yield separator === "\n    " ? "]\n}\n" : "\n  ]\n}\n";
}

export interface AccountExportOptions {
  /** The sections, read beforehand (readAccountSections) so that a database outage is still a 503. */
  head: AccountSections;
  now?: Date;
  deadlineMs?: number;
  /** The request's: the client hung up. */
  signal?: AbortSignal;
  /** Called once when the export ends, however it ends (done, client gone, deadline, failure). */
  onEnd?: () => void;
}

/**
 * The export as a byte stream that reads the next page only when the client has taken the last one, and stops
 * reading for good when the client leaves or `deadlineMs` passes (the stream then errors, so the download is
 * seen to fail instead of ending short). Each page is read under the database deadline.
 */
export function accountExportStream(db: Database, userId: string, options: AccountExportOptions): ReadableStream<Uint8Array> {
  const stop = new AbortController();
  const chunks = accountExportText(db, userId, options.head, options.now ?? new Date(), stop.signal);
  const encoder = new TextEncoder();
  let controllerRef: ReadableStreamDefaultController<Uint8Array> | undefined;
  let ended = false;

  const end = (error?: Error) => {
    if (ended) return;
    ended = true;
    clearTimeout(deadline);
    options.signal?.removeEventListener("abort", onClientGone);
    stop.abort();
    chunks.return(undefined).catch(() => {});
    if (error) controllerRef?.error(error);
    options.onEnd?.();
  };
  // The client is gone: nobody reads the stream any more, but it is errored all the same so nothing waits on it.
  const onClientGone = () => end(new Error("the client left"));
  const deadline = setTimeout(() => {
    log.warn(`Account export stopped: it ran past its ${options.deadlineMs ?? EXPORT_DEADLINE_MS} ms deadline.`);
    end(new ExportDeadlineError("the export ran past its deadline"));
  }, options.deadlineMs ?? EXPORT_DEADLINE_MS);
  if (options.signal?.aborted) onClientGone();
  else options.signal?.addEventListener("abort", onClientGone, { once: true });

  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        controllerRef = controller;
        if (ended) controller.error(new Error("the client left"));
      },
      async pull(controller) {
        if (ended) return;
        try {
          const next = await withDatabaseDeadline(chunks.next());
          if (ended) return;
          if (next.done) {
            controller.close();
            end();
          } else controller.enqueue(encoder.encode(next.value));
        } catch (error) {
          if (ended) return;
          log.error(`Account export failed: ${describeError(error)}`);
          end(new Error("export failed"));
        }
      },
      cancel() {
        end();
      },
    },
    // One chunk (one page) ahead of the client at most.
    { highWaterMark: 1 },
  );
}
