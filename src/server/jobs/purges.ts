import { purgeExpiredEmailLinks } from "~/server/auth/email-links";
import { purgeForgottenDevices } from "~/server/auth/known-devices";
import { purgeExpiredWebAuthnChallenges } from "~/server/auth/passkeys";
import { purgeExpiredPendingSignIns } from "~/server/auth/pending-sign-in";
import { purgeStaleRateLimits } from "~/server/auth/rate-limit";
import { purgeExpiredSessions } from "~/server/auth/session";
import { purgeStaleCallWindows } from "~/server/activity/retention";
import { purgeAbandonedGrants } from "~/server/oauth/authorization";
import { purgeUnusedClients } from "~/server/oauth/clients";
import { log } from "~/server/observability/logger";
import type { BackgroundJob } from "./scheduler";

/**
 * Rows that only ever pile up, each table's rule in the function that purges it: rate-limit counters of windows
 * long ended; sessions, pending sign-ins, mailed links and passkey challenges that expired; browsers unseen for
 * their cookie's lifetime; client registrations never used, and Allows whose app never came back.
 * (Ended OAuth tokens and codes go with the activity trail's retention: the trail names tokens.)
 */
export function purgesJob(): BackgroundJob {
  return {
    name: "purges",
    intervalMs: 10 * 60_000,
    async run({ db, signal }) {
      const purged = {
        rateLimits: await purgeStaleRateLimits(db, { signal }),
        callWindows: await purgeStaleCallWindows(db, { signal }),
        sessions: await purgeExpiredSessions(db, { signal }),
        pendingSignIns: await purgeExpiredPendingSignIns(db, { signal }),
        emailLinks: await purgeExpiredEmailLinks(db, { signal }),
        webauthnChallenges: await purgeExpiredWebAuthnChallenges(db, { signal }),
        knownDevices: await purgeForgottenDevices(db, { signal }),
        clients: await purgeUnusedClients(db, { signal }),
        grants: await purgeAbandonedGrants(db, { signal }),
      };
      if (Object.values(purged).some((count) => count > 0)) {
        log.info(
          `Purged ${purged.rateLimits} rate-limit counters and ${purged.callWindows} MCP call windows of ended windows, ` +
            `${purged.sessions} expired sessions, ${purged.pendingSignIns} expired pending sign-ins, ${purged.emailLinks} expired mailed links, ` +
            `${purged.webauthnChallenges} expired passkey challenges, ${purged.knownDevices} forgotten browsers, ${purged.clients} client registrations never used and ` +
            `${purged.grants} abandoned app connections.`,
        );
      }
    },
  };
}
