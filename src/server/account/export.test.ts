import { eq, sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { createUser } from "~/server/auth/credentials";
import type { Database } from "~/server/db/client";
import { generateToken } from "~/server/tokens/service";
import { engines } from "~/test/db";
import { useTestDatabase } from "~/test/fixtures";
import { exportLeases } from "~/server/db/schema";
import { accountExportStream, ExportDeadlineError, readAccountSections } from "./export";
import { claimExportLease } from "./export-lease";

// Issue 19 item 3: the export streams (the trail a page of 500 calls at a time), stops reading when the client
// leaves or the deadline passes, and runs one at a time per person. Memory is the benchmark's business
// (npm run bench -- --only=account_export); here, the shape of the stream and when it stops.

const CALLS = 4300; // nine pages, the last one short

/** The database, counting the queries that start with select(): each page of the trail is one. */
function countingSelects(db: Database): { db: Database; selects: () => number } {
  let selects = 0;
  const counted = new Proxy(db, {
    get(target, property, receiver) {
      if (property === "select") selects++;
      return Reflect.get(target, property, receiver) as unknown;
    },
  });
  return { db: counted, selects: () => selects };
}

describe.each(engines)("account export stream on %s", (engine) => {
  const { db } = useTestDatabase(engine);
  let userId: string;

  beforeAll(async () => {
    const created = await createUser(db, { email: `export-${engine}@example.test`, firstname: "Exa", surname: "Streamer", password: "a long enough password" });
    if (!created.ok) throw new Error("email taken");
    userId = created.user.id;
    const { id: tokenId } = await generateToken(db, userId, { name: "Busy assistant", scopes: ["read:data"], expiresInDays: 30 });
    // Whole milliseconds, as the recorder writes them (JavaScript dates): the trail's page cursor is one.
    await db.execute(sql`
      insert into mcp_activity (at, user_id, token_id, tool, outcome, duration_ms)
      select date_trunc('milliseconds', now()) - make_interval(secs => ${CALLS} - g), ${userId}::uuid, ${tokenId}::uuid, 'whoami', 'ok', g
      from generate_series(1, ${CALLS}) g`);
  });

  async function startExport(options: { deadlineMs?: number; signal?: AbortSignal } = {}) {
    const counting = countingSelects(db);
    let ended = 0;
    const stream = accountExportStream(counting.db, userId, { head: await readAccountSections(db, userId), onEnd: () => ended++, ...options });
    return { reader: stream.getReader(), selects: counting.selects, ended: () => ended };
  }

  it("streams the sections, then the trail a page per chunk, as one JSON document, oldest call first", async () => {
    const { reader, ended } = await startExport();
    const decoder = new TextDecoder();
    const chunks: string[] = [];
    for (let next = await reader.read(); !next.done; next = await reader.read()) chunks.push(decoder.decode(next.value));
    // The head (exportedAt, six sections, the array's opening), nine pages, the closing.
    expect(chunks.length).toBe(1 + 6 + 1 + 9 + 1);
    expect(chunks.filter((chunk) => chunk.includes('"tool":"whoami"')).map((chunk) => chunk.split("\n").length - 1)).toEqual([...Array(8).fill(500), 300]);
    const data = JSON.parse(chunks.join("")) as { activity: { durationMs: number }[] } & Record<string, unknown>;
    expect(Object.keys(data)).toEqual(["exportedAt", "profile", "sessions", "passkeys", "tokens", "connectedApps", "bookings", "activity"]);
    expect(data.activity).toHaveLength(CALLS);
    expect(data.activity.map((entry) => entry.durationMs)).toEqual(Array.from({ length: CALLS }, (_, i) => i + 1));
    expect(data.profile).toMatchObject({ firstname: "Exa", surname: "Streamer" });
    expect(ended()).toBe(1);
  });

  it("reads the next page only when the client has taken the last one", async () => {
    const { reader, selects } = await startExport();
    for (let i = 0; i < 8; i++) await reader.read(); // the head and the first page
    await new Promise((resolve) => setTimeout(resolve, 200));
    // The first page's query, and the one read ahead for the next chunk: no more while nobody reads.
    expect(selects()).toBeLessThanOrEqual(2);
    await reader.cancel();
  });

  it("stops reading when the client leaves", async () => {
    const client = new AbortController();
    const { reader, selects, ended } = await startExport({ signal: client.signal });
    for (let i = 0; i < 8; i++) await reader.read();
    client.abort();
    expect(ended()).toBe(1);
    await expect(reader.read()).rejects.toThrow("the client left");
    const afterLeaving = selects();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(selects()).toBe(afterLeaving);
    expect(selects()).toBeLessThan(3);
  });

  it("stops reading when its deadline passes, and the download fails instead of ending short", async () => {
    const { reader, selects, ended } = await startExport({ deadlineMs: 300 });
    for (let i = 0; i < 8; i++) await reader.read();
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(ended()).toBe(1);
    await expect(reader.read()).rejects.toBeInstanceOf(ExportDeadlineError);
    expect(selects()).toBeLessThan(3);
  });

  it("a cancelled read (the response closed) ends the export once", async () => {
    const { reader, ended } = await startExport();
    await reader.read();
    await reader.cancel();
    expect(ended()).toBe(1);
  });
});

describe.each(engines)("one export per person at a time on %s", (engine) => {
  const { db } = useTestDatabase(engine);
  const people: string[] = [];

  beforeAll(async () => {
    for (const name of ["a", "b"]) {
      const created = await createUser(db, { email: `lease-${name}-${engine}@example.test`, firstname: "Lea", surname: "Se", password: "a long enough password" });
      if (!created.ok) throw new Error("email taken");
      people.push(created.user.id);
    }
  });

  it("refuses a second lease until the first is given back, and never holds another person's", async () => {
    const [a, b] = people as [string, string];
    const first = await claimExportLease(db, a);
    expect(first).not.toBeNull();
    // Another instance asks the same database: refused while the lease lives.
    expect(await claimExportLease(db, a)).toBeNull();
    const other = await claimExportLease(db, b);
    expect(other).not.toBeNull();
    await first?.release();
    await first?.release();
    const again = await claimExportLease(db, a);
    expect(again).not.toBeNull();
    expect(await claimExportLease(db, a)).toBeNull();
    await again?.release();
    await other?.release();
    expect(await db.select().from(exportLeases)).toEqual([]);
  });

  it("lets a lapsed lease (its instance died) be taken over, and the old holder cannot end the new one", async () => {
    const [a] = people as [string];
    const lapsed = await claimExportLease(db, a);
    expect(lapsed).not.toBeNull();
    await db.update(exportLeases).set({ expiresAt: sql`now() - interval '1 second'` }).where(eq(exportLeases.userId, a));
    const taken = await claimExportLease(db, a);
    expect(taken).not.toBeNull();
    await lapsed?.release();
    expect(await claimExportLease(db, a)).toBeNull();
    await taken?.release();
    expect(await db.select().from(exportLeases)).toEqual([]);
  });
});
