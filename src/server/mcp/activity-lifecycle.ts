import "server-only";
import { env } from "~/env";
import { startActivityRetention } from "~/server/activity/retention";
import { getDb } from "~/server/db";
import { activityRecorder } from "./activity";

const globalForLifecycle = globalThis as unknown as { carestralActivityTrailStarted?: boolean };

/**
 * Starts the retention purge and hooks shutdown so the trail's buffer is written before the process
 * exits. Next's own SIGTERM/SIGINT handler closes the server and then calls process.exit at once, so the
 * exit is held until the last flush settles (bounded by the database deadline).
 */
export function startActivityTrail(): void {
  if (globalForLifecycle.carestralActivityTrailStarted) return;
  globalForLifecycle.carestralActivityTrailStarted = true;
  startActivityRetention(getDb, env.ACTIVITY_RETENTION_DAYS);

  let finalFlush: Promise<void> | null = null;
  const flushOnce = () => (finalFlush ??= activityRecorder.flush());
  for (const signal of ["SIGTERM", "SIGINT"] as const) process.once(signal, () => void flushOnce());
  const exit = process.exit.bind(process);
  process.exit = ((code?: number | string | null) => {
    void flushOnce().finally(() => exit(code));
  }) as typeof process.exit;
}
