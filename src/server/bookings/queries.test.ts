import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import type { Database } from "~/server/db/client";
import { apiTokens, users } from "~/server/db/schema";
import { engines } from "~/test/db";
import { useTestDatabase } from "~/test/fixtures";
import { futureSlot } from "~/test/slots";
import { cancelBooking, createBooking, createBookingInput, listBookings, MAX_FUTURE_BOOKINGS } from "./queries";

/** A slot about `days` from now, distinct per call so tests do not collide. */
let slot = 0;
function futureTime(days = 3): string {
  slot += 1;
  return futureSlot(days + Math.floor(slot / 24), slot % 24);
}

async function insertUser(db: Database): Promise<string> {
  const [user] = await db
    .insert(users)
    .values({ email: `${randomUUID()}@example.test`, firstname: "Ada", surname: "Lovelace", passwordHash: "not-a-real-hash" })
    .returning({ id: users.id });
  if (!user) throw new Error("no user");
  return user.id;
}

async function insertToken(db: Database, userId: string, name: string): Promise<string> {
  const [token] = await db
    .insert(apiTokens)
    .values({ userId, name, tokenHash: randomUUID(), tokenPrefix: "mcp_test0000", scopes: ["read:data", "write:bookings"] })
    .returning({ id: apiTokens.id });
  if (!token) throw new Error("no token");
  return token.id;
}

describe.each(engines)("bookings on %s", (engine) => {
  const test = useTestDatabase(engine);
  let userId: string;
  let otherUserId: string;
  let tokenId: string;

  beforeAll(async () => {
    userId = await insertUser(test.db);
    otherUserId = await insertUser(test.db);
    tokenId = await insertToken(test.db, userId, "Claude Desktop");
  });

  it("books with the hospital's spelling of the specialty and records the token", async () => {
    const startsAt = futureTime();
    const booking = await createBooking(
      test.db,
      userId,
      { hospitalId: "paris-hegp", specialty: "gastro-enterologie", startsAt: startsAt.replace("Z", "+00:00"), note: "Bring results" },
      { tokenId },
    );
    expect(booking).toMatchObject({
      hospital: { id: "paris-hegp", name: "Hôpital Européen Georges-Pompidou (AP-HP)", city: "Paris" },
      specialty: "Gastro-entérologie",
      status: "confirmed",
      note: "Bring results",
      tokenName: "Claude Desktop",
      cancelledAt: null,
    });
    expect(booking.startsAt.toISOString()).toBe(startsAt);
    expect(await listBookings(test.db, userId)).toContainEqual(booking);
  });

  it("understands a time given with an offset", async () => {
    const booking = await createBooking(
      test.db,
      userId,
      { hospitalId: "lyon-croix-rousse", specialty: "Urgences", startsAt: "2099-01-01T10:00:00+02:00" },
      { tokenId: null, now: new Date("2098-12-01T00:00:00Z") },
    );
    expect(booking.startsAt.toISOString()).toBe("2099-01-01T08:00:00.000Z");
    expect(booking.tokenName).toBeNull();
  });

  it("refuses a time in the past or more than a year ahead", async () => {
    const input = { hospitalId: "paris-hegp", specialty: "Cardiologie" };
    await expect(createBooking(test.db, userId, { ...input, startsAt: new Date(Date.now() - 60_000).toISOString() }, { tokenId })).rejects.toMatchObject({
      kind: "invalid",
      message: expect.stringMatching(/in the past/),
    });
    await expect(createBooking(test.db, userId, { ...input, startsAt: futureTime(400) }, { tokenId })).rejects.toMatchObject({
      kind: "invalid",
      message: expect.stringMatching(/365 days ahead/),
    });
  });

  it("refuses an unknown hospital and a specialty the hospital does not offer, listing what it offers", async () => {
    await expect(
      createBooking(test.db, userId, { hospitalId: "nowhere", specialty: "Cardiologie", startsAt: futureTime() }, { tokenId }),
    ).rejects.toMatchObject({ kind: "not_found", message: expect.stringMatching(/nowhere/) });
    await expect(
      createBooking(test.db, userId, { hospitalId: "paris-necker", specialty: "Cardiologie", startsAt: futureTime() }, { tokenId }),
    ).rejects.toMatchObject({ kind: "invalid", message: expect.stringMatching(/does not offer 'Cardiologie'. It offers: Pédiatrie/) });
  });

  it("refuses a second confirmed booking at the same time, but not after cancelling the first", async () => {
    const startsAt = futureTime();
    const first = await createBooking(test.db, userId, { hospitalId: "paris-cochin", specialty: "Rhumatologie", startsAt }, { tokenId });
    await expect(
      createBooking(test.db, userId, { hospitalId: "paris-bichat", specialty: "Cardiologie", startsAt }, { tokenId }),
    ).rejects.toMatchObject({ kind: "conflict", message: expect.stringMatching(/already have a booking/) });
    // Another person may book the same time.
    await createBooking(test.db, otherUserId, { hospitalId: "paris-bichat", specialty: "Cardiologie", startsAt }, { tokenId: null });

    await cancelBooking(test.db, userId, first.id);
    const second = await createBooking(test.db, userId, { hospitalId: "paris-bichat", specialty: "Cardiologie", startsAt }, { tokenId });
    expect(second.status).toBe("confirmed");
  });

  it("refuses two simultaneous bookings of one slot with the clear error, never a crash", async () => {
    const startsAt = futureTime();
    const attempts = await Promise.allSettled(
      ["paris-cochin", "paris-bichat", "paris-tenon"].map((hospitalId) =>
        createBooking(test.db, userId, { hospitalId, specialty: "Urgences", startsAt }, { tokenId }),
      ),
    );
    expect(attempts.filter((attempt) => attempt.status === "fulfilled")).toHaveLength(1);
    for (const attempt of attempts) {
      if (attempt.status === "rejected") expect(attempt.reason).toMatchObject({ kind: "conflict" });
    }
  });

  it("cancels once, then answers the same booking again", async () => {
    const booking = await createBooking(test.db, userId, { hospitalId: "paris-tenon", specialty: "Urologie", startsAt: futureTime() }, { tokenId });
    const cancelled = await cancelBooking(test.db, userId, booking.id);
    expect(cancelled).toMatchObject({ id: booking.id, status: "cancelled", cancelledAt: expect.any(Date) });
    expect(await cancelBooking(test.db, userId, booking.id)).toEqual(cancelled);
  });

  it("keeps each user's bookings to themselves", async () => {
    const booking = await createBooking(test.db, userId, { hospitalId: "paris-tenon", specialty: "Urologie", startsAt: futureTime() }, { tokenId });
    await expect(cancelBooking(test.db, otherUserId, booking.id)).rejects.toMatchObject({ kind: "not_found" });
    await expect(cancelBooking(test.db, userId, randomUUID())).rejects.toMatchObject({ kind: "not_found" });
    expect((await listBookings(test.db, otherUserId)).map((entry) => entry.id)).not.toContain(booking.id);
    expect((await listBookings(test.db, userId, { status: "confirmed" })).map((entry) => entry.id)).toContain(booking.id);
  });

  it("filters by status and lists in time order", async () => {
    const all = await listBookings(test.db, userId);
    const cancelled = await listBookings(test.db, userId, { status: "cancelled" });
    expect(cancelled.length).toBeGreaterThan(0);
    expect(cancelled.every((booking) => booking.status === "cancelled")).toBe(true);
    const times = all.map((booking) => booking.startsAt.getTime());
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  // Issue 10: bookings are appointments, on quarter-hour slots.
  it("refuses a time off the quarter hour, naming the nearest slots", async () => {
    const slot = futureTime();
    const input = { hospitalId: "paris-tenon", specialty: "Urologie" };
    for (const offset of [1, 1000, 7 * 60 * 1000]) {
      const startsAt = new Date(Date.parse(slot) + offset).toISOString();
      await expect(createBooking(test.db, userId, { ...input, startsAt }, { tokenId })).rejects.toMatchObject({
        kind: "invalid",
        message: expect.stringContaining(`${slot} and ${new Date(Date.parse(slot) + 15 * 60 * 1000).toISOString()}`),
      });
    }
    // Milliseconds apart used to be three bookings; now only the slot itself is one.
    await createBooking(test.db, userId, { ...input, startsAt: slot }, { tokenId });
    expect((await listBookings(test.db, userId)).filter((booking) => booking.startsAt.toISOString() === slot)).toHaveLength(1);
  });

  it("caps a person's upcoming appointments", async () => {
    const busy = await insertUser(test.db);
    for (let index = 0; index < MAX_FUTURE_BOOKINGS; index++) {
      await createBooking(test.db, busy, { hospitalId: "paris-tenon", specialty: "Urologie", startsAt: futureSlot(2 + index, 9) }, { tokenId: null });
    }
    await expect(
      createBooking(test.db, busy, { hospitalId: "paris-tenon", specialty: "Urologie", startsAt: futureSlot(40, 9) }, { tokenId: null }),
    ).rejects.toMatchObject({ kind: "conflict", message: expect.stringContaining(`${MAX_FUTURE_BOOKINGS} upcoming`) });
  });

  it("cannot cancel an appointment whose time has passed", async () => {
    const earlier = new Date(Date.now() - 2 * 60 * 60 * 1000);
    const startsAt = new Date(Math.ceil(earlier.getTime() / (15 * 60 * 1000)) * 15 * 60 * 1000 + 15 * 60 * 1000).toISOString();
    const past = await createBooking(test.db, userId, { hospitalId: "paris-tenon", specialty: "Urologie", startsAt }, { tokenId, now: earlier });
    await expect(cancelBooking(test.db, userId, past.id)).rejects.toMatchObject({ kind: "invalid", message: expect.stringContaining("in the past") });
    expect((await listBookings(test.db, userId)).find((booking) => booking.id === past.id)?.status).toBe("confirmed");
  });

  it("stores notes in NFC and refuses bidi overrides and invisible characters", async () => {
    const input = { hospitalId: "paris-tenon", specialty: "Urologie" };
    const booking = await createBooking(test.db, userId, { ...input, startsAt: futureTime(), note: createBookingInput.shape.note.parse("Cafe\u0301") }, { tokenId });
    expect(booking.note).toBe("Café");
    for (const note of ["pay \u202eevil", "zero\u200bwidth", "soft\u00adhyphen", "join\u200dme"]) {
      expect(createBookingInput.shape.note.safeParse(note).success, JSON.stringify(note)).toBe(false);
    }
    expect(createBookingInput.shape.note.safeParse("Bring 👩‍💻 results\nline two").success).toBe(true);
  });
});
