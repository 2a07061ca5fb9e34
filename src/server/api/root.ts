import { accountRouter } from "./routers/account";
import { activityRouter } from "./routers/activity";
import { authRouter } from "./routers/auth";
import { bookingsRouter } from "./routers/bookings";
import { connectedAppsRouter } from "./routers/connected-apps";
import { healthRouter } from "./routers/health";
import { hospitalsRouter } from "./routers/hospitals";
import { legacyJwtRouter } from "./routers/legacy-jwt";
import { passkeysRouter } from "./routers/passkeys";
import { tokensRouter } from "./routers/tokens";
import { twoFactorRouter } from "./routers/two-factor";
import { createCallerFactory, createTRPCRouter } from "./trpc";

export const appRouter = createTRPCRouter({
  account: accountRouter,
  activity: activityRouter,
  auth: authRouter,
  bookings: bookingsRouter,
  connectedApps: connectedAppsRouter,
  health: healthRouter,
  hospitals: hospitalsRouter,
  legacyJwt: legacyJwtRouter,
  passkeys: passkeysRouter,
  tokens: tokensRouter,
  twoFactor: twoFactorRouter,
});

export type AppRouter = typeof appRouter;

export const createCaller = createCallerFactory(appRouter);
