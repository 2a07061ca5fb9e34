import "server-only";
import { onShutdown } from "~/server/shutdown";
import { activityRecorder } from "./activity";

const globalForLifecycle = globalThis as unknown as { carestralActivityTrailStarted?: boolean };

/**
 * Has shutdown write the trail's buffer once the last request is answered (server.mjs waits for it, for at most
 * five seconds). Its retention purge is a background job (src/server/jobs).
 */
export function startActivityTrail(): void {
  if (globalForLifecycle.carestralActivityTrailStarted) return;
  globalForLifecycle.carestralActivityTrailStarted = true;
  onShutdown(() => activityRecorder.flush());
}
