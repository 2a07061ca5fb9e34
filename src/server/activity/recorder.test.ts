import { afterEach, describe, expect, it, vi } from "vitest";
import type { Database } from "~/server/db/client";
import { ActivityRecorder, type ActivityRecord } from "./recorder";

// The buffer alone, with a fake writer: batching, timing, failures. The database side is tested in
// src/server/mcp/activity.test.ts.

const dbA = {} as Database;
const dbB = {} as Database;

function row(tool = "whoami"): ActivityRecord {
  return {
    at: new Date(),
    userId: "00000000-0000-4000-8000-000000000001",
    tokenId: "00000000-0000-4000-8000-000000000002",
    tool,
    outcome: "ok",
    durationMs: 1,
    clientIp: "127.0.0.1",
    userAgent: "test",
    summary: null,
    error: null,
    clientName: null,
    clientVersion: null,
  };
}

function recorderWithLog(options: { fail?: boolean; hang?: boolean; maxBatchRows?: number; maxBufferedRows?: number } = {}) {
  const writes: { db: Database; tools: string[] }[] = [];
  const recorder = new ActivityRecorder({
    flushIntervalMs: 250,
    maxBatchRows: options.maxBatchRows ?? 500,
    maxBufferedRows: options.maxBufferedRows,
    write: async (db, rows) => {
      if (options.hang) await new Promise(() => {});
      if (options.fail) throw Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
      writes.push({ db, tools: rows.map((r) => r.tool) });
    },
  });
  return { recorder, writes };
}

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("ActivityRecorder", () => {
  it("writes nothing on record(), then one batch when the flush interval ends", async () => {
    vi.useFakeTimers();
    const { recorder, writes } = recorderWithLog();
    recorder.record(dbA, row("a"));
    recorder.record(dbA, row("b"));
    expect(writes).toEqual([]);
    expect(recorder.pendingCount).toBe(2);
    await vi.advanceTimersByTimeAsync(249);
    expect(writes).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(writes).toEqual([{ db: dbA, tools: ["a", "b"] }]);
    expect(recorder.pendingCount).toBe(0);
  });

  it("writes at once when a batch is full, without waiting for the timer", async () => {
    vi.useFakeTimers();
    const { recorder, writes } = recorderWithLog({ maxBatchRows: 3 });
    for (const tool of ["a", "b", "c"]) recorder.record(dbA, row(tool));
    await vi.advanceTimersByTimeAsync(0);
    expect(writes).toEqual([{ db: dbA, tools: ["a", "b", "c"] }]);
  });

  it("writes each database's rows to that database", async () => {
    const { recorder, writes } = recorderWithLog();
    recorder.record(dbA, row("a"));
    recorder.record(dbB, row("b"));
    await recorder.flush();
    expect(writes).toEqual([
      { db: dbA, tools: ["a"] },
      { db: dbB, tools: ["b"] },
    ]);
  });

  it("drops a batch the database refuses, logs its size only, and keeps recording", async () => {
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    const failing = recorderWithLog({ fail: true });
    failing.recorder.record(dbA, { ...row(), summary: "Hôpital Test, Cardiologie" });
    await expect(failing.recorder.flush()).resolves.toBeUndefined();
    expect(error).toHaveBeenCalledWith(expect.stringMatching(/could not record 1 calls: ECONNREFUSED/));
    expect(String(error.mock.calls)).not.toContain("Cardiologie");
    failing.recorder.record(dbA, row());
    expect(failing.recorder.pendingCount).toBe(1);
  });

  it("never makes record() wait, even when a write hangs; past the cap it drops and counts", async () => {
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    const { recorder } = recorderWithLog({ hang: true, maxBatchRows: 2, maxBufferedRows: 3 });
    const started = performance.now();
    for (let i = 0; i < 10; i++) recorder.record(dbA, row());
    expect(performance.now() - started).toBeLessThan(50);
    // Two batches of two left the buffer (the first is stuck writing); the buffer holds at most three.
    expect(recorder.pendingCount).toBeLessThanOrEqual(3);
    expect(error).not.toHaveBeenCalled();
  });

  it("records nothing while disabled", async () => {
    const { recorder, writes } = recorderWithLog();
    recorder.enabled = false;
    recorder.record(dbA, row());
    await recorder.flush();
    expect(writes).toEqual([]);
  });
});
