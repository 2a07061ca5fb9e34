import { env } from "~/env";
import { databasePoolUsage } from "~/server/db";
import { activityRecorder } from "~/server/activity/recorder";
import { isMetricsAuthorization, metrics } from "~/server/observability/metrics";

export const dynamic = "force-dynamic";

/** Prometheus metrics of this instance: 404 unless METRICS_TOKEN is set, then only with that bearer token. */
export async function GET(request: Request): Promise<Response> {
  if (!env.METRICS_TOKEN) return new Response("Not found.\n", { status: 404, headers: { "content-type": "text/plain; charset=utf-8" } });
  if (!isMetricsAuthorization(request.headers.get("authorization"), env.METRICS_TOKEN)) {
    return new Response("Send the metrics token as Authorization: Bearer <METRICS_TOKEN>.\n", {
      status: 401,
      headers: { "content-type": "text/plain; charset=utf-8", "www-authenticate": 'Bearer realm="metrics"', "cache-control": "no-store" },
    });
  }
  const current = metrics();
  current.activityBufferRows.set(activityRecorder.pendingCount);
  for (const pool of await databasePoolUsage()) {
    current.dbPoolInUse.set({ pool: pool.pool }, pool.inUse);
    current.dbPoolWaiting.set({ pool: pool.pool }, pool.waiting);
    current.dbPoolMax.set({ pool: pool.pool }, pool.max);
  }
  return new Response(await current.registry.metrics(), {
    headers: { "content-type": current.registry.contentType, "cache-control": "no-store" },
  });
}
