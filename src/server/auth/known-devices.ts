import { and, eq, sql } from "drizzle-orm";
import type { Database } from "~/server/db/client";
import { deleteBatch, purgeInBatches, type PurgeOptions } from "~/server/db/purge";
import { knownDevices } from "~/server/db/schema";
import { sha256Hex } from "~/server/hash";
import { DEVICE_COOKIE_MAX_AGE_SECONDS } from "./cookie";
import { generateSessionToken } from "./session";

// Browsers an account has signed in from (issue 22: mail about a sign-in from a device not seen before). A browser
// is known by a random value in its device cookie; the table holds its SHA-256, like sessions. Clearing cookies or
// a private window makes a browser new again, as on GitHub.

/** Longer user agents are cut, as for sessions. */
const USER_AGENT_MAX_LENGTH = 512;

/** A browser unseen for as long as its device cookie lives can never send that cookie again: it is forgotten. */
const forgotten = sql`${knownDevices.lastSeenAt} < now() - make_interval(secs => ${DEVICE_COOKIE_MAX_AGE_SECONDS})`;

export interface RecognizedDevice {
  /** The device cookie's value to set (the one the browser sent, or a new one). */
  token: string;
  /** A sign-in from a browser this account has not used before; never the account's first sign-in. */
  isNew: boolean;
}

/**
 * Records a sign-in of `userId` from the browser that sent `cookieToken` (null: no device cookie). The account's
 * first known browser is not "new" (the sign-in that ends sign-up, or the first since devices were remembered).
 * Browsers unseen for as long as the cookie lives are forgotten.
 */
export async function recognizeDevice(db: Database, userId: string, cookieToken: string | null, userAgent: string | null): Promise<RecognizedDevice> {
  const token = cookieToken ?? generateSessionToken();
  const deviceHash = sha256Hex(token);
  return db.transaction(async (tx) => {
    await tx.delete(knownDevices).where(and(eq(knownDevices.userId, userId), forgotten));
    const [seen] = await tx
      .update(knownDevices)
      .set({ lastSeenAt: sql`now()` })
      .where(and(eq(knownDevices.userId, userId), eq(knownDevices.deviceHash, deviceHash)))
      .returning({ deviceHash: knownDevices.deviceHash });
    if (seen) return { token, isNew: false };
    const [other] = await tx.select({ deviceHash: knownDevices.deviceHash }).from(knownDevices).where(eq(knownDevices.userId, userId)).limit(1);
    await tx
      .insert(knownDevices)
      .values({ userId, deviceHash, userAgent: userAgent?.slice(0, USER_AGENT_MAX_LENGTH) || null })
      .onConflictDoNothing();
    return { token, isNew: other !== undefined };
  });
}

/**
 * Deletes forgotten browsers of every account (the purges job): `recognizeDevice` forgets an account's own when it
 * signs in, so this is for accounts that stopped signing in. Known devices do not belong to sessions: a browser
 * stays known after signing out, or its next sign-in would be mailed as new.
 */
export async function purgeForgottenDevices(db: Database, options: PurgeOptions = {}): Promise<number> {
  return purgeInBatches((batchSize) => deleteBatch(db, knownDevices, [knownDevices.userId, knownDevices.deviceHash], forgotten, batchSize), options);
}
