import "server-only";
import { env } from "~/env";
import { activityRetentionJob } from "~/server/activity/retention";
import { getDb } from "~/server/db";
import { processSingleton } from "~/server/process-singleton";
import { onShutdown } from "~/server/shutdown";
import { expiryNoticesJob } from "~/server/tokens/expiry-notices";
import { purgesJob } from "./purges";
import { JobScheduler, type BackgroundJob } from "./scheduler";

export type { BackgroundJob, JobContext } from "./scheduler";

/** Every background job an instance runs: an explicit list, like the MCP tools. */
function backgroundJobs(): BackgroundJob[] {
  return [activityRetentionJob(env.ACTIVITY_RETENTION_DAYS), purgesJob(), expiryNoticesJob()];
}

const jobs = processSingleton("jobs", () => ({ started: false }));

/** Starts the background jobs (instrumentation-node.ts, at server start); shutdown stops them and waits for runs in progress. */
export function startBackgroundJobs(): void {
  if (jobs.started) return;
  jobs.started = true;
  const scheduler = new JobScheduler(getDb);
  for (const job of backgroundJobs()) scheduler.schedule(job);
  onShutdown(() => scheduler.stop());
}
