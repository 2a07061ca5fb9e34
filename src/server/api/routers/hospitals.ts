import { z } from "zod";
import { getHospital, hospitalIdSchema, searchHospitals, searchHospitalsInput } from "~/server/hospitals/queries";
import { createTRPCRouter, domainProcedure } from "../trpc";

export const hospitalsRouter = createTRPCRouter({
  search: domainProcedure.input(searchHospitalsInput).query(({ ctx, input }) => searchHospitals(ctx.db, input)),

  get: domainProcedure.input(z.object({ id: hospitalIdSchema })).query(({ ctx, input }) => getHospital(ctx.db, input.id)),
});
