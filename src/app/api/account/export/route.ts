import { accountExportStream, readAccountSections } from "~/server/account/export";
import { claimExportLease, type ExportLease } from "~/server/account/export-lease";
import { getCurrentSession } from "~/server/auth/current-session";
import { describeError } from "~/server/describe-error";
import { getDb, isDatabaseUnavailable, withDatabaseDeadline } from "~/server/db";
import { log } from "~/server/observability/logger";

export const dynamic = "force-dynamic";

/** How long a second export is told to wait: most exports take seconds. */
const EXPORT_RETRY_AFTER_SECONDS = 30;

// "Export my data": the signed-in person's data as a JSON download, streamed (the activity trail a page at a
// time), one at a time per person across every instance (a lease in the database). A GET that changes nothing,
// so another site linking here can at most make a visitor download their own data to their own machine.
export async function GET(request: Request): Promise<Response> {
  let lease: ExportLease | null = null;
  try {
    const { user } = await getCurrentSession();
    if (!user) return Response.json({ error: "Sign in to export your data." }, { status: 401 });
    const db = await withDatabaseDeadline(getDb());
    lease = await withDatabaseDeadline(claimExportLease(db, user.id));
    if (!lease) {
      return Response.json(
        { error: "An export of your data is already under way. Wait for it to finish, then try again." },
        { status: 429, headers: { "retry-after": String(EXPORT_RETRY_AFTER_SECONDS), "cache-control": "no-store" } },
      );
    }
    const head = await withDatabaseDeadline(readAccountSections(db, user.id));
    const now = new Date();
    const body = accountExportStream(db, user.id, { head, now, signal: request.signal, onEnd: () => void lease?.release() });
    return new Response(body, {
      headers: {
        "content-type": "application/json; charset=utf-8",
        "content-disposition": `attachment; filename="carestral-export-${now.toISOString().slice(0, 10)}.json"`,
        "cache-control": "no-store",
      },
    });
  } catch (error) {
    void lease?.release();
    if (isDatabaseUnavailable(error)) {
      return Response.json({ error: "The database is unavailable. Try again shortly." }, { status: 503, headers: { "retry-after": "5" } });
    }
    log.error(`Export failed: ${describeError(error)}`);
    return Response.json({ error: "Something went wrong on our side. Try again in a moment." }, { status: 500 });
  }
}
