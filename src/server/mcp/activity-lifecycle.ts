import "server-only";
import { processSingleton } from "~/server/process-singleton";
import { onShutdown } from "~/server/shutdown";
import { activityRecorder } from "~/server/activity/recorder";

const trail = processSingleton("activityTrail", () => ({ started: false }));

/**
 * Has shutdown write the trail's buffer once the last request is answered (server.mjs waits for it, for at most
 * five seconds). Its retention purge is a background job (src/server/jobs).
 */
export function startActivityTrail(): void {
  if (trail.started) return;
  trail.started = true;
  onShutdown(() => activityRecorder.flush());
}
