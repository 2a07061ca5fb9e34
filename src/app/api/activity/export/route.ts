import { exportActivity } from "~/server/activity/queries";
import { personTimeZone } from "~/server/account/time-zone";
import { activityCsvRow, csvHeaderLine, exportPeriodIn, exportPeriodSchema } from "~/server/activity/csv";
import { getCurrentSession } from "~/server/auth/current-session";
import { getDb, isDatabaseUnavailable, withDatabaseDeadline } from "~/server/db";
import { describeError } from "~/server/describe-error";
import { tokenIdSchema } from "~/server/tokens/schemas";
import { z } from "zod";
import { activityOwnerFor } from "~/server/activity/owner";
import { log } from "~/server/observability/logger";

export const dynamic = "force-dynamic";

/** GET /api/activity/export?from=YYYY-MM-DD&to=YYYY-MM-DD[&token=<id>|&app=<id>]: the signed-in person's calls as CSV, days and times in their zone. */
export async function GET(request: Request): Promise<Response> {
  const url = new URL(request.url);
  const period = exportPeriodSchema.safeParse({ from: url.searchParams.get("from"), to: url.searchParams.get("to") });
  if (!period.success) return plain(400, period.error.issues[0]?.message ?? "Give a period: from and to, as YYYY-MM-DD.");
  const tokenParam = url.searchParams.get("token");
  const tokenId = tokenParam ? tokenIdSchema.safeParse(tokenParam) : null;
  if (tokenId && !tokenId.success) return plain(404, "No such token among yours.");
  const appParam = url.searchParams.get("app");
  const appId = appParam ? z.uuid().safeParse(appParam) : null;
  if (appId && !appId.success) return plain(404, "No such connected app among yours.");

  try {
    const { user } = await getCurrentSession();
    if (!user) return plain(401, "Sign in to download your activity.");
    const db = await withDatabaseDeadline(getDb());
    const owner = await withDatabaseDeadline(activityOwnerFor(db, user.id, { tokenId: tokenId?.data, appId: appId?.data }));
    if (!owner) return plain(404, `No such ${appId ? "connected app" : "token"} among yours.`);

    // The person's days, in the zone their pages show times in; the file says which.
    const timeZone = personTimeZone(user);
    const pages = exportActivity(db, owner, exportPeriodIn(period.data, timeZone));
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode(csvHeaderLine(timeZone)));
      },
      async pull(controller) {
        try {
          const next = await withDatabaseDeadline(pages.next());
          if (next.done) controller.close();
          else controller.enqueue(encoder.encode(next.value.map((entry) => activityCsvRow(entry, timeZone)).join("")));
        } catch (error) {
          log.error(`Activity export failed: ${describeError(error)}`);
          controller.error(new Error("export failed"));
        }
      },
      async cancel() {
        await pages.return(undefined);
      },
    });
    const from = url.searchParams.get("from") ?? "";
    const to = url.searchParams.get("to") ?? "";
    return new Response(body, {
      headers: {
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": `attachment; filename="carestral-activity-${from}-to-${to}.csv"`,
        "Cache-Control": "no-store",
      },
    });
  } catch (error) {
    if (isDatabaseUnavailable(error)) return plain(503, "The database is unavailable. Try again shortly.", { "Retry-After": "5" });
    log.error(`Activity export failed: ${describeError(error)}`);
    return plain(500, "Something went wrong on our side. Try again in a moment.");
  }
}

function plain(status: number, message: string, headers: Record<string, string> = {}): Response {
  return new Response(`${message}\n`, { status, headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store", ...headers } });
}
