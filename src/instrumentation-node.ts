// A server instance's start (src/instrumentation.ts imports this on the Node.js runtime only): publish the request
// hooks server.mjs wraps every request in, say which database and public URL it uses, open the database and apply
// pending migrations; start the background jobs (purges) and make sure the activity trail's buffer is written on
// shutdown.
export async function startInstance(): Promise<void> {
  const { env } = await import("~/env");
  // Traces only when a collector is named: otherwise no OpenTelemetry module is even loaded. Next.js then reports
  // its own spans (each request, route handler and render) through the provider this registers.
  if (env.OTEL_EXPORTER_OTLP_ENDPOINT) {
    const { registerOTel } = await import("@vercel/otel");
    registerOTel({ serviceName: "carestral" });
  }
  const { log } = await import("~/server/observability/logger");
  const { observeRequest, publishServerHooks } = await import("~/server/observability/requests");
  const { serveMcpOverNode } = await import("~/server/mcp/http");
  publishServerHooks({ observeRequest, log, serveMcp: serveMcpOverNode });
  const { getDb, describeAppDatabase } = await import("~/server/db");
  log.info(`Carestral: database ${describeAppDatabase()}; APP_URL ${env.APP_URL}`);
  const { socketAddressIsKnown } = await import("~/server/auth/client-ip");
  if (env.NODE_ENV === "production" && !socketAddressIsKnown()) {
    log.warn(
      "Carestral: not started with `npm start` (server.mjs), so client addresses are unknown: every client shares one " +
        "sign-in rate limit unless TRUSTED_PROXIES names a proxy that sets X-Forwarded-For. Start it with `npm start`.",
    );
  }
  try {
    await getDb();
  } catch (error) {
    // Another process holds the PGlite folder: serving beside it would destroy the data. Stop, saying who holds it.
    if (error instanceof Error && (error as { code?: unknown }).code === "DATABASE_FOLDER_LOCKED") {
      log.fatal(`Carestral cannot start: ${error.message}`);
      process.exit(1);
    }
    // Keep serving: /api/health reports the outage and the next request tries again.
    log.error({ err: error }, "Database not ready at start");
  }
  const { startActivityTrail } = await import("~/server/mcp/activity-lifecycle");
  startActivityTrail();
  const { startBackgroundJobs } = await import("~/server/jobs");
  startBackgroundJobs();
}
