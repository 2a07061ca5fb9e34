import "server-only";
import { env } from "~/env";
import { startActivityRetention } from "~/server/activity/retention";
import { getDb } from "~/server/db";
import { activityRecorder } from "./activity";

const SHUTDOWN_FLUSH_LIMIT_MS = 5000;

const globalForLifecycle = globalThis as unknown as { carestralActivityTrailStarted?: boolean };

/**
 * Starts the retention purge and hooks shutdown so the trail's buffer is written before the process
 * exits. Next's own SIGTERM/SIGINT handler closes the server and then calls process.exit at once, so the
 * exit is held until the last flush settles, for at most five seconds.
 */
export function startActivityTrail(): void {
  if (globalForLifecycle.carestralActivityTrailStarted) return;
  globalForLifecycle.carestralActivityTrailStarted = true;
  startActivityRetention(getDb, env.ACTIVITY_RETENTION_DAYS);

  let finalFlush: Promise<void> | null = null;
  // Bounded: a database that stopped answering must not keep a stopping instance alive.
  const flushOnce = () =>
    (finalFlush ??= Promise.race([activityRecorder.flush(), new Promise<void>((resolve) => setTimeout(resolve, SHUTDOWN_FLUSH_LIMIT_MS).unref())]));
  for (const signal of ["SIGTERM", "SIGINT"] as const) process.once(signal, () => void flushOnce());
  const exit = process.exit.bind(process);
  process.exit = ((code?: number | string | null) => {
    void flushOnce().finally(() => exit(code));
  }) as typeof process.exit;
}
