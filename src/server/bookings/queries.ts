import { and, asc, count, eq, gt, type SQL } from "drizzle-orm";
import { z } from "zod";
import { isUniqueViolation, type Database } from "~/server/db/client";
import { apiTokens, bookings, bookingStatus, hospitals, users } from "~/server/db/schema";
import { DomainError } from "~/server/domain-error";
import { freeText, lineOfText } from "~/server/text";
import { findOfferedSpecialty, getHospital, hospitalIdSchema } from "~/server/hospitals/queries";

export type BookingStatus = (typeof bookingStatus.enumValues)[number];

export interface Booking {
  id: string;
  /** timeZone: the IANA zone of the hospital's clocks, which the appointment is shown in. */
  hospital: { id: string; name: string; city: string; address: string; postalCode: string; phone: string | null; timeZone: string };
  specialty: string;
  startsAt: Date;
  status: BookingStatus;
  note: string | null;
  createdAt: Date;
  cancelledAt: Date | null;
  /** Name of the API token that made the booking; null when it was made in the web UI. */
  tokenName: string | null;
}

export const BOOKING_HORIZON_DAYS = 365;
/** Appointments start on the quarter hour: 09:00, 09:15, 09:30 … (every real UTC offset keeps them there). */
export const SLOT_MINUTES = 15;
const SLOT_MS = SLOT_MINUTES * 60 * 1000;
/** Confirmed appointments still to come that one person may hold. */
export const MAX_FUTURE_BOOKINGS = 20;
export const NOTE_MAX_LENGTH = 500;

// Field schemas shared by the MCP tools and the tRPC router.
export const bookingIdSchema = z.uuid("A booking id is a UUID, as returned when the booking was made or listed.");
export const bookingStatusSchema = z.enum(bookingStatus.enumValues);
export const bookingSpecialtySchema = lineOfText().min(1, "Give a specialty the hospital offers.").max(100);
export const bookingStartsAtSchema = z.iso.datetime({
  offset: true,
  error: "Give the time as ISO 8601 with a timezone, e.g. 2030-05-14T09:30:00+02:00.",
});
export const bookingNoteSchema = freeText().max(NOTE_MAX_LENGTH, `A note is at most ${NOTE_MAX_LENGTH} characters.`);

export const createBookingInput = z.object({
  hospitalId: hospitalIdSchema,
  specialty: bookingSpecialtySchema,
  startsAt: bookingStartsAtSchema,
  note: bookingNoteSchema.optional(),
});
export type CreateBookingInput = z.infer<typeof createBookingInput>;

const bookingColumns = {
  id: bookings.id,
  hospital: {
    id: hospitals.id,
    name: hospitals.name,
    city: hospitals.city,
    address: hospitals.address,
    postalCode: hospitals.postalCode,
    phone: hospitals.phone,
    timeZone: hospitals.timeZone,
  },
  specialty: bookings.specialty,
  startsAt: bookings.startsAt,
  status: bookings.status,
  note: bookings.note,
  createdAt: bookings.createdAt,
  cancelledAt: bookings.cancelledAt,
  tokenName: apiTokens.name,
};

function selectBookings(db: Database, where: SQL | undefined) {
  return db
    .select(bookingColumns)
    .from(bookings)
    .innerJoin(hospitals, eq(bookings.hospitalId, hospitals.id))
    .leftJoin(apiTokens, eq(bookings.createdByTokenId, apiTokens.id))
    .where(where)
    .orderBy(asc(bookings.startsAt), asc(bookings.createdAt));
}

/** The user's bookings in time order, optionally only those with the given status. */
export async function listBookings(db: Database, userId: string, params: { status?: BookingStatus } = {}): Promise<Booking[]> {
  return selectBookings(db, and(eq(bookings.userId, userId), params.status ? eq(bookings.status, params.status) : undefined));
}

async function getBooking(db: Database, userId: string, bookingId: string): Promise<Booking | null> {
  const [booking] = await selectBookings(db, and(eq(bookings.userId, userId), eq(bookings.id, bookingId)));
  return booking ?? null;
}

/**
 * Books a time slot for the user. The time must be in the future (within a year), the hospital must
 * offer the specialty, and the user may hold one confirmed booking per time. `tokenId` records which
 * API token made it (null from the web UI).
 */
export async function createBooking(
  db: Database,
  userId: string,
  input: CreateBookingInput,
  options: { tokenId: string | null; now?: Date },
): Promise<Booking> {
  const now = options.now ?? new Date();
  const startsAt = new Date(input.startsAt);
  if (startsAt.getTime() <= now.getTime()) {
    throw new DomainError("invalid", `starts_at ${input.startsAt} is in the past. Choose a time after ${now.toISOString()}.`);
  }
  const horizon = new Date(now.getTime() + BOOKING_HORIZON_DAYS * 24 * 60 * 60 * 1000);
  if (startsAt.getTime() > horizon.getTime()) {
    throw new DomainError("invalid", `Bookings open at most ${BOOKING_HORIZON_DAYS} days ahead. Choose a time before ${horizon.toISOString()}.`);
  }

  if (startsAt.getTime() % SLOT_MS !== 0) {
    const before = new Date(Math.floor(startsAt.getTime() / SLOT_MS) * SLOT_MS);
    const after = new Date(before.getTime() + SLOT_MS);
    throw new DomainError(
      "invalid",
      `Appointments start on the quarter hour (:00, :15, :30, :45, whole minutes). The nearest slots are ` +
        `${before.toISOString()} and ${after.toISOString()}.`,
    );
  }

  const hospital = await getHospital(db, input.hospitalId);
  const specialty = findOfferedSpecialty(hospital, input.specialty);
  if (!specialty) {
    throw new DomainError(
      "invalid",
      `${hospital.name} does not offer '${input.specialty}'. It offers: ${hospital.specialties.join(", ")}.`,
    );
  }

  let id: string;
  try {
    id = await db.transaction(async (tx) => {
      // One booking at a time per person, so the cap below sees every booking committed before it.
      await tx.select({ id: users.id }).from(users).where(eq(users.id, userId)).for("update");
      const [upcoming] = await tx
        .select({ count: count() })
        .from(bookings)
        .where(and(eq(bookings.userId, userId), eq(bookings.status, "confirmed"), gt(bookings.startsAt, now)));
      if (upcoming && upcoming.count >= MAX_FUTURE_BOOKINGS) {
        throw new DomainError(
          "conflict",
          `You already have ${MAX_FUTURE_BOOKINGS} upcoming appointments, the most allowed. Cancel one you no longer need first.`,
        );
      }
      const [inserted] = await tx
        .insert(bookings)
        .values({
          userId,
          hospitalId: hospital.id,
          specialty,
          startsAt,
          note: input.note || null,
          createdByTokenId: options.tokenId,
        })
        .returning({ id: bookings.id });
      if (!inserted) throw new Error("insert returned no row");
      return inserted.id;
    });
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new DomainError(
        "conflict",
        `You already have a booking at ${startsAt.toISOString()}. Choose another time, or cancel that booking first.`,
      );
    }
    throw error;
  }

  const booking = await getBooking(db, userId, id);
  if (!booking) throw new Error("a booking just made was not found");
  return booking;
}

/**
 * Cancels the user's booking. Cancelling a cancelled booking returns it unchanged; an appointment whose
 * time has come cannot be cancelled any more.
 */
export async function cancelBooking(db: Database, userId: string, bookingId: string, now: Date = new Date()): Promise<Booking> {
  const booking = await getBooking(db, userId, bookingId);
  // Another user's booking is "not found" too: its existence is not ours to reveal.
  if (!booking) throw new DomainError("not_found", `You have no booking with the id ${bookingId}. List your bookings to find its id.`);
  if (booking.status === "cancelled") return booking;
  if (booking.startsAt.getTime() <= now.getTime()) {
    throw new DomainError("invalid", `This appointment was at ${booking.startsAt.toISOString()}, in the past: it can no longer be cancelled.`);
  }
  await db
    .update(bookings)
    .set({ status: "cancelled", cancelledAt: now })
    .where(and(eq(bookings.id, bookingId), eq(bookings.userId, userId), eq(bookings.status, "confirmed"), gt(bookings.startsAt, now)));
  const cancelled = await getBooking(db, userId, bookingId);
  if (!cancelled) throw new Error("a booking just cancelled was not found");
  if (cancelled.status !== "cancelled") {
    throw new DomainError("invalid", `This appointment was at ${cancelled.startsAt.toISOString()}, in the past: it can no longer be cancelled.`);
  }
  return cancelled;
}
