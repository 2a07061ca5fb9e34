import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { bookingIdSchema, bookingStatusSchema, cancelBooking, listBookings } from "~/server/bookings/queries";
import { DomainError } from "~/server/hospitals/errors";
import { createTRPCRouter, protectedProcedure } from "../trpc";

const TRPC_CODES = { not_found: "NOT_FOUND", invalid: "BAD_REQUEST", conflict: "CONFLICT" } as const;

/** protectedProcedure whose domain refusals reach the client as a specific code with their message. */
export const domainProcedure = protectedProcedure.use(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.cause instanceof DomainError) {
    const cause = result.error.cause;
    throw new TRPCError({ code: TRPC_CODES[cause.kind], message: cause.message, cause });
  }
  return result;
});

export const bookingsRouter = createTRPCRouter({
  list: domainProcedure
    .input(z.object({ status: bookingStatusSchema.optional() }).optional())
    .query(({ ctx, input }) => listBookings(ctx.db, ctx.user.id, { status: input?.status })),

  cancel: domainProcedure
    .input(z.object({ id: bookingIdSchema }))
    .mutation(({ ctx, input }) => cancelBooking(ctx.db, ctx.user.id, input.id)),
});
