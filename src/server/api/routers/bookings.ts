import { z } from "zod";
import { bookingIdSchema, bookingStatusSchema, cancelBooking, listBookings } from "~/server/bookings/queries";
import { createTRPCRouter, domainProcedure } from "../trpc";

export const bookingsRouter = createTRPCRouter({
  list: domainProcedure
    .input(z.object({ status: bookingStatusSchema.optional() }).optional())
    .query(({ ctx, input }) => listBookings(ctx.db, ctx.user.id, { status: input?.status })),

  cancel: domainProcedure
    .input(z.object({ id: bookingIdSchema }))
    .mutation(({ ctx, input }) => cancelBooking(ctx.db, ctx.user.id, input.id)),
});
