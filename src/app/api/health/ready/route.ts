import { checkReadiness } from "~/server/health";

export const dynamic = "force-dynamic";

/** Readiness for a load balancer: 200 when this instance can serve, else 503 with what is missing. */
export async function GET(): Promise<Response> {
  const report = await checkReadiness();
  return Response.json(report, {
    status: report.status === "ready" ? 200 : 503,
    headers: { "cache-control": "no-store" },
  });
}
