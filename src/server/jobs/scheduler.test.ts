import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { useTestDatabase } from "~/test/fixtures";
import { JobScheduler, type JobContext } from "./scheduler";

// The scheduler on fake timers (no waiting on the clock), over a real database: when runs start, that a run never
// overlaps the previous one, that a failed run is retried at the next turn, and that stop() aborts and waits.

const MINUTE = 60_000;

describe("the background job scheduler", () => {
  const testDb = useTestDatabase("pglite");
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A job whose runs last until the test ends each one; records when each started. */
  function controlledJob(name = "test-job") {
    const starts: number[] = [];
    const finishers: ((error?: Error) => void)[] = [];
    const contexts: JobContext[] = [];
    return {
      starts,
      contexts,
      finish(error?: Error) {
        const finisher = finishers.shift();
        if (!finisher) throw new Error("no run in progress");
        finisher(error);
      },
      job: {
        name,
        intervalMs: 10 * MINUTE,
        firstRunDelayMs: MINUTE,
        run(context: JobContext) {
          starts.push(Date.now());
          contexts.push(context);
          return new Promise<void>((resolve, reject) => finishers.push((error) => (error ? reject(error) : resolve())));
        },
      },
    };
  }

  it("runs first after the delay plus its jitter, then an interval after each run ends, never overlapping itself", async () => {
    const scheduler = new JobScheduler(async () => testDb.db, () => 0.5);
    const job = controlledJob();
    const start = Date.now();
    scheduler.schedule(job.job);
    await vi.advanceTimersByTimeAsync(1.5 * MINUTE - 1);
    expect(job.starts).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(job.starts).toEqual([start + 1.5 * MINUTE]);
    expect(job.contexts[0]?.db).toBe(testDb.db);
    // The run takes an hour: no second run starts meanwhile.
    await vi.advanceTimersByTimeAsync(60 * MINUTE);
    expect(job.starts).toHaveLength(1);
    job.finish();
    const ended = Date.now();
    await vi.advanceTimersByTimeAsync(10 * MINUTE);
    expect(job.starts).toEqual([start + 1.5 * MINUTE, ended + 10 * MINUTE]);
    job.finish();
    await scheduler.stop();
  });

  it("spreads the first runs of instances started together over the delay and as much again", async () => {
    const early = controlledJob();
    const late = controlledJob();
    const start = Date.now();
    const schedulers = [new JobScheduler(async () => testDb.db, () => 0), new JobScheduler(async () => testDb.db, () => 0.999)];
    schedulers[0]?.schedule(early.job);
    schedulers[1]?.schedule(late.job);
    await vi.advanceTimersByTimeAsync(2 * MINUTE);
    expect(early.starts).toEqual([start + MINUTE]);
    expect(late.starts).toEqual([start + Math.round(1.999 * MINUTE)]);
    early.finish();
    late.finish();
    await Promise.all(schedulers.map((scheduler) => scheduler.stop()));
  });

  it("retries a failed run at its next turn, and a database that cannot be opened is a failed run too", async () => {
    let databaseUp = false;
    const scheduler = new JobScheduler(async () => {
      if (!databaseUp) throw new Error("connect ECONNREFUSED");
      return testDb.db;
    }, () => 0);
    const job = controlledJob();
    scheduler.schedule(job.job);
    await vi.advanceTimersByTimeAsync(MINUTE);
    expect(job.starts).toHaveLength(0);
    databaseUp = true;
    await vi.advanceTimersByTimeAsync(10 * MINUTE);
    expect(job.starts).toHaveLength(1);
    job.finish(new Error("deadlock detected"));
    await vi.advanceTimersByTimeAsync(10 * MINUTE);
    expect(job.starts).toHaveLength(2);
    job.finish();
    await scheduler.stop();
  });

  it("stop() aborts the run in progress, waits for it, and starts nothing more", async () => {
    const scheduler = new JobScheduler(async () => testDb.db, () => 0);
    const running = controlledJob("running");
    const waiting = controlledJob("waiting");
    scheduler.schedule(running.job);
    scheduler.schedule({ ...waiting.job, firstRunDelayMs: 5 * MINUTE });
    await vi.advanceTimersByTimeAsync(MINUTE);
    expect(running.starts).toHaveLength(1);
    let stopped = false;
    const stopping = scheduler.stop().then(() => (stopped = true));
    expect(running.contexts[0]?.signal.aborted).toBe(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(stopped).toBe(false);
    running.finish();
    await stopping;
    await vi.advanceTimersByTimeAsync(60 * MINUTE);
    expect(running.starts).toHaveLength(1);
    expect(waiting.starts).toHaveLength(0);
  });
});
