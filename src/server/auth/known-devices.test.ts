import { and, eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { knownDevices } from "~/server/db/schema";
import { sha256Hex } from "~/server/hash";
import { engines } from "~/test/db";
import { useTestDatabase } from "~/test/fixtures";
import { createUser } from "./credentials";
import { recognizeDevice } from "./known-devices";

describe.each(engines)("known devices on %s", (engine) => {
  const testDb = useTestDatabase(engine);


  async function newPerson() {
    const created = await createUser(testDb.db, { email: `device-${crypto.randomUUID()}@example.test`, firstname: "Ada", surname: "L", password: `pw-${crypto.randomUUID()}` });
    if (!created.ok) throw new Error("email taken");
    return created.user;
  }

  it("the account's first browser is not new; another browser is, once; the same browser never again", async () => {
    const person = await newPerson();
    const first = await recognizeDevice(testDb.db, person.id, null, "Firefox");
    expect(first.isNew).toBe(false);
    expect(first.token).toMatch(/^[a-z2-7]{32}$/);
    expect(await recognizeDevice(testDb.db, person.id, first.token, "Firefox")).toEqual({ token: first.token, isNew: false });

    const second = await recognizeDevice(testDb.db, person.id, null, "Chrome");
    expect(second.isNew).toBe(true);
    expect(second.token).not.toBe(first.token);
    expect(await recognizeDevice(testDb.db, person.id, second.token, "Chrome")).toEqual({ token: second.token, isNew: false });
    // A cookie value the server never issued for this account is a new browser too.
    expect((await recognizeDevice(testDb.db, person.id, "a".repeat(32), "Safari")).isNew).toBe(true);
  });

  it("keeps only the hash of the cookie, and one account's browser is new to another account", async () => {
    const owner = await newPerson();
    const other = await newPerson();
    await recognizeDevice(testDb.db, other.id, null, "Edge");
    const shared = await recognizeDevice(testDb.db, owner.id, null, "Firefox");
    const rows = await testDb.db.select({ deviceHash: knownDevices.deviceHash }).from(knownDevices).where(eq(knownDevices.userId, owner.id));
    expect(rows).toEqual([{ deviceHash: sha256Hex(shared.token) }]);
    expect((await recognizeDevice(testDb.db, other.id, shared.token, "Firefox")).isNew).toBe(true);
  });

  it("forgets a browser unseen for 400 days, the cookie's lifetime", async () => {
    const person = await newPerson();
    const old = await recognizeDevice(testDb.db, person.id, null, "Firefox");
    await recognizeDevice(testDb.db, person.id, null, "Chrome");
    await testDb.db
      .update(knownDevices)
      .set({ lastSeenAt: sql`now() - interval '401 days'` })
      .where(and(eq(knownDevices.userId, person.id), eq(knownDevices.deviceHash, sha256Hex(old.token))));
    expect((await recognizeDevice(testDb.db, person.id, old.token, "Firefox")).isNew).toBe(true);
  });
});
