import type { Database } from "~/server/db/client";
import { describeError } from "~/server/describe-error";
import { log } from "~/server/observability/logger";
import { metrics } from "~/server/observability/metrics";

// Background work of every instance (purges, roll-ups, reminder mail): no cron and no leader. Several instances run
// the same jobs, so each run must be safe beside another instance's: bounded batches that skip rows another
// instance holds (FOR UPDATE SKIP LOCKED) and an idempotent effect (a row purged or mailed once, whoever ran it).

export interface JobContext {
  db: Database;
  /** Aborted when the instance stops: a run checks it between batches and returns early. */
  signal: AbortSignal;
}

export interface BackgroundJob {
  /** Names the job in the log and in carestral_background_job_runs_total: a fixed word, kebab-case. */
  name: string;
  /** From the end of one run to the start of the next: a run never overlaps the previous one. */
  intervalMs: number;
  /**
   * Before the first run, plus up to as much again at random, so that instances started together (a deploy)
   * do not all run at once. Default: a minute.
   */
  firstRunDelayMs?: number;
  run(context: JobContext): Promise<void>;
}

const DEFAULT_FIRST_RUN_DELAY_MS = 60_000;

/**
 * Runs jobs on timers: each after its first delay, then `intervalMs` after its previous run ended. A failed run
 * is logged and the job tries again at its next turn. `stop()` (on shutdown) cancels the timers, aborts the
 * runs in progress and waits for them to return.
 */
export class JobScheduler {
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private readonly running = new Set<Promise<void>>();
  private readonly stopping = new AbortController();

  constructor(
    private readonly getDb: () => Promise<Database>,
    private readonly random: () => number = Math.random,
  ) {}

  schedule(job: BackgroundJob): void {
    const firstDelay = job.firstRunDelayMs ?? DEFAULT_FIRST_RUN_DELAY_MS;
    this.after(firstDelay + this.random() * firstDelay, job);
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await Promise.allSettled([...this.running]);
  }

  private after(delayMs: number, job: BackgroundJob): void {
    if (this.stopping.signal.aborted) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      const run = this.runOnce(job).finally(() => {
        this.running.delete(run);
        this.after(job.intervalMs, job);
      });
      this.running.add(run);
    }, delayMs);
    // Never what keeps a process alive: scripts and tests that load the app end when their own work does.
    timer.unref?.();
    this.timers.add(timer);
  }

  private async runOnce(job: BackgroundJob): Promise<void> {
    try {
      const db = await this.getDb();
      await job.run({ db, signal: this.stopping.signal });
      metrics().backgroundJobRuns.inc({ job: job.name, outcome: "ok" });
    } catch (error) {
      metrics().backgroundJobRuns.inc({ job: job.name, outcome: "failed" });
      log.error(`Background job ${job.name} failed, will retry in ${Math.round(job.intervalMs / 1000)} s: ${describeError(error)}`);
    }
  }
}
