import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { afterAll, describe, expect, it } from "vitest";
import { startServer } from "~/test/server";
import { signUpOverHttp } from "~/test/trpc-http";
import { DatabaseFolderLockedError, lockDatabaseFolder, lockFileOf } from "./folder-lock";

const folders: string[] = [];
function tempFolder(): string {
  const parent = mkdtempSync(path.join(os.tmpdir(), "carestral-lock-"));
  folders.push(parent);
  return path.join(parent, "pglite");
}
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true, maxRetries: 3 });
});

describe("the PGlite folder lock", () => {
  it("takes a free folder with this process's pid, and lets go on release", () => {
    const folder = tempFolder();
    const lock = lockDatabaseFolder(folder);
    expect(lock.file).toBe(lockFileOf(folder));
    expect(readFileSync(lock.file, "utf8").trim()).toBe(String(process.pid));
    lock.release();
    expect(existsSync(lock.file)).toBe(false);
  });

  it("refuses a folder another running process holds, naming it, PGLITE_DIR and DATABASE_URL", async () => {
    const folder = tempFolder();
    const other = spawn("sleep", ["30"]);
    try {
      writeFileSync(lockFileOf(folder), `${other.pid}\n`);
      let refusal: unknown;
      try {
        lockDatabaseFolder(folder);
      } catch (error) {
        refusal = error;
      }
      expect(refusal).toBeInstanceOf(DatabaseFolderLockedError);
      expect((refusal as Error).message).toContain(`in use by process ${other.pid}`);
      expect((refusal as Error).message).toMatch(/PGLITE_DIR.*DATABASE_URL/);
      // The holder's lock is left alone.
      expect(readFileSync(lockFileOf(folder), "utf8").trim()).toBe(String(other.pid));
    } finally {
      other.kill();
    }
  });

  it("takes over a stale lock whose process is gone", async () => {
    const folder = tempFolder();
    const gone = spawn("true");
    await new Promise((resolve) => gone.once("exit", resolve));
    writeFileSync(lockFileOf(folder), `${gone.pid}\n`);
    const lock = lockDatabaseFolder(folder);
    expect(readFileSync(lock.file, "utf8").trim()).toBe(String(process.pid));
    lock.release();
  });

  it("refuses a second server on the same folder; the first keeps serving and its data survive", async () => {
    const folder = tempFolder();
    const first = await startServer({ pgliteDir: folder });
    let stopped = false;
    try {
      await signUpOverHttp(first.url, { email: "before@example.test" });
      await expect(startServer({ pgliteDir: folder })).rejects.toThrow(new RegExp(`exited with 1[\\s\\S]*in use by process ${first.pid}[\\s\\S]*PGLITE_DIR`));
      await signUpOverHttp(first.url, { email: "after@example.test" });
      await first.stop();
      stopped = true;
      expect(existsSync(lockFileOf(folder))).toBe(false);
      const client = await PGlite.create(folder);
      try {
        const { rows } = await client.query<{ email: string }>("select email from users order by email");
        expect(rows.map((row) => row.email)).toEqual(["after@example.test", "before@example.test"]);
      } finally {
        await client.close();
      }
    } finally {
      if (!stopped) await first.stop();
    }
  }, 180_000);
});
