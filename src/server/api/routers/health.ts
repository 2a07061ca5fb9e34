import { checkHealth } from "~/server/health";
import { createTRPCRouter, publicProcedure } from "../trpc";

export const healthRouter = createTRPCRouter({
  check: publicProcedure.query(() => checkHealth()),
});
