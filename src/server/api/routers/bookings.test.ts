import { futureSlot } from "~/test/slots";
import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import type { SessionUser } from "~/server/auth/session";
import { createBooking } from "~/server/bookings/queries";
import type { Database } from "~/server/db/client";
import { users } from "~/server/db/schema";
import { engines } from "~/test/db";
import { useTestDatabase } from "~/test/fixtures";
import { createCaller } from "../root";
import { createInnerTRPCContext } from "../trpc";

async function insertUser(db: Database): Promise<SessionUser> {
  const email = `${randomUUID()}@example.test`;
  const [user] = await db
    .insert(users)
    .values({ email, firstname: "Alan", surname: "Turing", passwordHash: "not-a-real-hash" })
    .returning({ id: users.id, email: users.email, firstname: users.firstname, surname: users.surname });
  if (!user) throw new Error("no user");
  return user;
}

function callerFor(db: Database, user: SessionUser | null) {
  const session = user ? { id: randomUUID(), userId: user.id, expiresAt: new Date(Date.now() + 60_000), lastVerifiedAt: new Date() } : null;
  return createCaller(createInnerTRPCContext({ db, user, session }));
}

describe.each(engines)("bookings and hospitals routers on %s", (engine) => {
  const test = useTestDatabase(engine);
  let owner: SessionUser;
  let stranger: SessionUser;

  beforeAll(async () => {
    owner = await insertUser(test.db);
    stranger = await insertUser(test.db);
  });

  it("lists and cancels the signed-in user's bookings only", async () => {
    const startsAt = futureSlot(2);
    const booking = await createBooking(test.db, owner.id, { hospitalId: "paris-hegp", specialty: "Oncologie", startsAt }, { tokenId: null });
    const api = callerFor(test.db, owner);

    expect((await api.bookings.list()).map((entry) => entry.id)).toEqual([booking.id]);
    expect(await callerFor(test.db, stranger).bookings.list()).toEqual([]);
    await expect(callerFor(test.db, stranger).bookings.cancel({ id: booking.id })).rejects.toMatchObject({ code: "NOT_FOUND" });

    const cancelled = await api.bookings.cancel({ id: booking.id });
    expect(cancelled).toMatchObject({ id: booking.id, status: "cancelled", tokenName: null });
    expect(await api.bookings.cancel({ id: booking.id })).toEqual(cancelled);
    expect(await api.bookings.list({ status: "confirmed" })).toEqual([]);
  });

  it("rejects a malformed id as bad input", async () => {
    await expect(callerFor(test.db, owner).bookings.cancel({ id: "42" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });

  it("searches and gets hospitals, with specific errors", async () => {
    const api = callerFor(test.db, owner);
    const page = await api.hospitals.search({ city: "marseille", limit: 3 });
    expect(page.hospitals).toHaveLength(3);
    await expect(api.hospitals.search({ cursor: "nonsense" })).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringMatching(/cursor/) });
    await expect(api.hospitals.get({ id: "atlantis" })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("requires a session", async () => {
    await expect(callerFor(test.db, null).bookings.list()).rejects.toMatchObject({ code: "UNAUTHORIZED" });
  });
});
