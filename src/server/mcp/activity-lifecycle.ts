import "server-only";
import { env } from "~/env";
import { startActivityRetention } from "~/server/activity/retention";
import { getDb } from "~/server/db";
import { onShutdown } from "~/server/shutdown";
import { activityRecorder } from "./activity";

const globalForLifecycle = globalThis as unknown as { carestralActivityTrailStarted?: boolean };

/**
 * Starts the retention purge, and has shutdown write the trail's buffer once the last request is answered
 * (server.mjs waits for it, for at most five seconds).
 */
export function startActivityTrail(): void {
  if (globalForLifecycle.carestralActivityTrailStarted) return;
  globalForLifecycle.carestralActivityTrailStarted = true;
  startActivityRetention(getDb, env.ACTIVITY_RETENTION_DAYS);
  onShutdown(() => activityRecorder.flush());
}
