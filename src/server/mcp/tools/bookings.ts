import { z } from "zod";
import {
  BOOKING_HORIZON_DAYS,
  bookingIdSchema,
  bookingNoteSchema,
  bookingSpecialtySchema,
  bookingStartsAtSchema,
  bookingStatusSchema,
  cancelBooking,
  createBooking,
  listBookings,
  type Booking,
} from "~/server/bookings/queries";
import { hospitalIdSchema } from "~/server/hospitals/queries";
import { clip } from "./hospitals";
import { CREATES, DESTRUCTIVE_IDEMPOTENT, READ_ONLY, defineScopedTool, type AnyScopedTool } from "../scoped-tools";

const bookingOutput = z.object({
  id: z.string().describe("Use as booking_id in bookings_cancel."),
  hospital: z.object({ id: z.string(), name: z.string(), city: z.string() }),
  specialty: z.string(),
  starts_at: z.iso.datetime(),
  status: bookingStatusSchema,
  note: z.string().nullable(),
  token_name: z.string().nullable().describe("Name of the API token that made the booking; null if made on the website."),
  created_at: z.iso.datetime(),
  cancelled_at: z.iso.datetime().nullable(),
});
const oneBookingOutput = z.object({ booking: bookingOutput });

function toBookingOutput(booking: Booking): z.input<typeof bookingOutput> {
  return {
    id: booking.id,
    hospital: { id: booking.hospital.id, name: booking.hospital.name, city: booking.hospital.city },
    specialty: booking.specialty,
    starts_at: booking.startsAt.toISOString(),
    status: booking.status,
    note: booking.note,
    token_name: booking.tokenName,
    created_at: booking.createdAt.toISOString(),
    cancelled_at: booking.cancelledAt?.toISOString() ?? null,
  };
}

function bookingSummary(booking: z.input<typeof bookingOutput>): string {
  return `${booking.hospital.name}, ${booking.specialty}, ${booking.starts_at.slice(0, 16).replace("T", " ")} UTC`;
}

export const bookingTools: readonly AnyScopedTool[] = [
  defineScopedTool({
    name: "bookings_list",
    scope: "read:data",
    title: "List my bookings",
    description:
      "Lists the user's own hospital appointments in time order, with the hospital, specialty, time (UTC), " +
      "status and the name of the token that booked each. Pass status 'confirmed' for the appointments that " +
      "stand, or 'cancelled'. Use it to answer questions about appointments or to find a booking_id to cancel.",
    inputSchema: z.object({ status: bookingStatusSchema.optional().describe("Only bookings with this status.") }),
    outputSchema: z.object({ bookings: z.array(bookingOutput) }),
    annotations: READ_ONLY,
    async run(args, { db, caller }) {
      const bookings = await listBookings(db, caller.user.id, { status: args.status });
      return { bookings: bookings.map(toBookingOutput) };
    },
    summarize(args, output) {
      const which = args.status ? `${args.status} bookings` : "all bookings";
      return output ? `${which}: ${output.bookings.length} found` : which;
    },
  }),

  defineScopedTool({
    name: "bookings_create",
    scope: "write:bookings",
    title: "Book an appointment",
    description:
      "Books a hospital appointment for the user in a specialty the hospital offers, at a future time at most " +
      `${BOOKING_HORIZON_DAYS} days ahead, given as ISO 8601 with a timezone (e.g. 2030-05-14T09:30:00+02:00). ` +
      "Confirm the hospital, specialty and time with the user before calling. It fails with an explanation when " +
      "the hospital is unknown, does not offer the specialty, the time is past, or the user already has a booking then.",
    inputSchema: z.object({
      hospital_id: hospitalIdSchema.describe("The hospital's id, from hospitals_search."),
      specialty: bookingSpecialtySchema.describe("One of the hospital's specialties; case and accents do not matter."),
      starts_at: bookingStartsAtSchema.describe("Start time, ISO 8601 with timezone, in the future."),
      note: bookingNoteSchema.optional().describe("Optional note for the hospital, at most 500 characters."),
    }),
    outputSchema: oneBookingOutput,
    annotations: CREATES,
    async run(args, { db, caller }) {
      const booking = await createBooking(
        db,
        caller.user.id,
        { hospitalId: args.hospital_id, specialty: args.specialty, startsAt: args.starts_at, note: args.note },
        { tokenId: caller.token.id },
      );
      return { booking: toBookingOutput(booking) };
    },
    // The hospital and specialty; never the note, which may be medical.
    summarize: (args, output) => (output ? bookingSummary(output.booking) : `${args.hospital_id}, ${clip(args.specialty)}`),
  }),

  defineScopedTool({
    name: "bookings_cancel",
    scope: "write:bookings",
    title: "Cancel a booking",
    description:
      "Cancels one of the user's bookings by booking_id (from bookings_list or bookings_create). Confirm with " +
      "the user first. Cancelling a booking that is already cancelled changes nothing and returns it.",
    inputSchema: z.object({ booking_id: bookingIdSchema.describe("The booking's id.") }),
    outputSchema: oneBookingOutput,
    annotations: DESTRUCTIVE_IDEMPOTENT,
    async run(args, { db, caller }) {
      return { booking: toBookingOutput(await cancelBooking(db, caller.user.id, args.booking_id)) };
    },
    summarize: (args, output) => (output ? bookingSummary(output.booking) : `booking ${args.booking_id}`),
  }),
];
