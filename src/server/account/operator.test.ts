import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { eq } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase, type Database, type DatabaseHandle } from "~/server/db/client";
import { users } from "~/server/db/schema";
import { createTestDatabase, engines } from "~/test/db";
import { resetPasswordWithLink } from "./email-flows";

// `npm run account -- reset-password|verify-email <email>` (issue 20 item 11), run as an operator would: the real
// script in its own process, on PostgreSQL and on a PGlite folder, and refused beside a server holding that folder.

const run = promisify(execFile);
// Each run starts Node, tsx and the database in a process of its own: seconds each on a shared machine.
const SLOW = 240_000;

async function account(args: string[], database: { url?: string; dir?: string }): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, DATABASE_URL: database.url ?? "", PGLITE_DIR: database.dir ?? "", APP_URL: "https://carestral.example" };
  try {
    const { stdout, stderr } = await run("node", ["--import", "tsx", "scripts/account.ts", ...args], { env, timeout: SLOW / 2 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

async function addPerson(db: Database, email: string): Promise<string> {
  const [user] = await db.insert(users).values({ email, firstname: "Olga", surname: "Operator", passwordHash: "not-a-real-hash" }).returning({ id: users.id });
  if (!user) throw new Error("no user inserted");
  return user.id;
}

describe.each(engines)("the account command on %s", (engine) => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  /** A migrated database the command can reach, and a handle to look at it (closed while the command runs on PGlite). */
  async function setUp(): Promise<{ database: { url?: string; dir?: string }; open(): Promise<DatabaseHandle> }> {
    if (engine === "postgres") {
      const test = await createTestDatabase("postgres");
      cleanups.push(() => test.close());
      return { database: { url: test.url }, open: async () => test.handle };
    }
    const dir = mkdtempSync(path.join(tmpdir(), "carestral-account-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const handle = await openDatabase({ engine: "pglite", dataDir: dir });
    await handle.migrate();
    await handle.close();
    return { database: { dir }, open: () => openDatabase({ engine: "pglite", dataDir: dir }) };
  }
  const release = async (handle: DatabaseHandle) => {
    if (engine === "pglite") await handle.close();
  };

  it("prints a working one-time reset link, and marks an email verified", async () => {
    const { database, open } = await setUp();
    let handle = await open();
    const userId = await addPerson(handle.db, "olga@example.com");
    await release(handle);

    const reset = await account(["reset-password", "  Olga@Example.com "], database);
    expect(reset.code).toBe(0);
    const link = /https:\/\/carestral\.example\/reset-password\?token=\S+/.exec(reset.stdout)?.[0];
    expect(link).toBeDefined();
    expect(reset.stdout).toContain("valid 30 minutes");

    const verify = await account(["verify-email", "olga@example.com"], database);
    expect(verify).toMatchObject({ code: 0, stdout: "Email marked as verified.\n" });

    handle = await open();
    const [row] = await handle.db.select({ verifiedAt: users.emailVerifiedAt }).from(users).where(eq(users.id, userId));
    expect(row?.verifiedAt).toBeInstanceOf(Date);
    // The link is the same as a mailed one: it sets the password, once.
    const token = new URL(link ?? "").searchParams.get("token") ?? "";
    await resetPasswordWithLink(handle.db, token, "a new long passphrase");
    await expect(resetPasswordWithLink(handle.db, token, "another long passphrase")).rejects.toMatchObject({ kind: "invalid" });
    await release(handle);
  }, SLOW);

  it("says so for an unknown email or a wrong command, changing nothing", async () => {
    const { database } = await setUp();
    expect(await account(["reset-password", "nobody@example.com"], database)).toMatchObject({ code: 1, stderr: "No account has the email nobody@example.com.\n" });
    const usage = await account(["delete-everything", "x@example.com"], database);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("npm run account -- reset-password <email>");
  }, SLOW);

  it.runIf(engine === "pglite")("refuses to open a PGlite folder a running server holds, and says what to do", async () => {
    const { database, open } = await setUp();
    const server = await open();
    try {
      const refused = await account(["verify-email", "olga@example.com"], database);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`is in use by process ${process.pid}`);
      expect(refused.stderr).toContain("Stop the server, run this command, then start the server again.");
    } finally {
      await server.close();
    }
  }, SLOW);
});
