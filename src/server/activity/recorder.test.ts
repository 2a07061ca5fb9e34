import { afterEach, describe, expect, it, vi } from "vitest";
import type { Database } from "~/server/db/client";
import { ActivityRecorder, type ActivityRecord } from "./recorder";
import { currentRequestId, log, runWithRequest } from "~/server/observability/logger";

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

  it("writes outside the requests that recorded: the batch's lines carry none of their ids", async () => {
    const seen: (string | undefined)[] = [];
    const recorder = new ActivityRecorder({
      flushIntervalMs: 20,
      maxBatchRows: 2,
      write: async () => {
        seen.push(currentRequestId());
      },
    });
    // One batch set off by its timer, armed in a request; one by a request that filled it.
    runWithRequest({ requestId: "request-1", personId: "person-1" }, () => recorder.record(dbA, row("a")));
    await new Promise((resolve) => setTimeout(resolve, 60));
    runWithRequest({ requestId: "request-2" }, () => recorder.record(dbA, row("b")));
    runWithRequest({ requestId: "request-3" }, () => recorder.record(dbA, row("c")));
    await recorder.flush();
    expect(seen).toEqual([undefined, undefined]);
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
    const error = vi.spyOn(log, "error").mockImplementation(() => {});
    const failing = recorderWithLog({ fail: true });
    failing.recorder.record(dbA, { ...row(), summary: "Hôpital Test, Cardiologie" });
    await expect(failing.recorder.flush()).resolves.toBeUndefined();
    expect(error).toHaveBeenCalledWith(expect.stringMatching(/could not record 1 calls: ECONNREFUSED/));
    expect(String(error.mock.calls)).not.toContain("Cardiologie");
    failing.recorder.record(dbA, row());
    expect(failing.recorder.pendingCount).toBe(1);
  });

  it("retries a batch refused for a row's sake in halves, down to the one bad row, and only then drops it", async () => {
    const error = vi.spyOn(log, "error").mockImplementation(() => {});
    const attempts: number[] = [];
    const written: string[] = [];
    const recorder = new ActivityRecorder({
      write: async (_db, rows) => {
        attempts.push(rows.length);
        // PostgreSQL's answer to a value it cannot store (SQLSTATE class 22), wrapped as Drizzle wraps it.
        if (rows.some((r) => r.tool === "bad")) throw new Error("Failed query: insert …", { cause: Object.assign(new Error("refused"), { code: "22P05" }) });
        written.push(...rows.map((r) => r.tool));
      },
    });
    const tools = ["a", "b", "c", "bad", "e", "f", "g", "h"];
    for (const tool of tools) recorder.record(dbA, row(tool));
    await recorder.flush();
    expect(written).toEqual(tools.filter((tool) => tool !== "bad"));
    expect(attempts).toEqual([8, 4, 2, 2, 1, 1, 4]);
    expect(error).toHaveBeenCalledTimes(1);
    expect(error).toHaveBeenCalledWith(expect.stringMatching(/could not record 1 calls: 22P05/));
  });

  it("makes every recorded text one well-formed line without NUL, bounded", async () => {
    const rows: ActivityRecord[] = [];
    const capture = new ActivityRecorder({ write: async (_db, batch) => void rows.push(...batch) });
    capture.record(dbA, { ...row("who\u0000ami\ud800"), userAgent: "agent\r\nX-Evil: 1", clientName: "\u202eevil", summary: "é".repeat(300) });
    await capture.flush();
    expect(rows[0]).toMatchObject({ tool: "who ami\ufffd", userAgent: "agent X-Evil: 1", clientName: "\ufffdevil" });
    expect(Array.from(rows[0]?.summary ?? "")).toHaveLength(200);
  });

  it("never makes record() wait, even when a write hangs; past the cap it drops and counts", async () => {
    const error = vi.spyOn(log, "error").mockImplementation(() => {});
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
