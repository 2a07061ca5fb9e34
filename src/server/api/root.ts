import { activityRouter } from "./routers/activity";
import { authRouter } from "./routers/auth";
import { bookingsRouter } from "./routers/bookings";
import { healthRouter } from "./routers/health";
import { hospitalsRouter } from "./routers/hospitals";
import { tokensRouter } from "./routers/tokens";
import { createCallerFactory, createTRPCRouter } from "./trpc";

export const appRouter = createTRPCRouter({
  activity: activityRouter,
  auth: authRouter,
  bookings: bookingsRouter,
  health: healthRouter,
  hospitals: hospitalsRouter,
  tokens: tokensRouter,
});

export type AppRouter = typeof appRouter;

export const createCaller = createCallerFactory(appRouter);
