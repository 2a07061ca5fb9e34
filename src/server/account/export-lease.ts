import { randomUUID } from "node:crypto";
import { and, eq, sql } from "drizzle-orm";
import type { Database } from "~/server/db/client";
import { withDatabaseDeadline } from "~/server/db/deadline";
import { exportLeases } from "~/server/db/schema";
import { describeError } from "~/server/describe-error";
import { log } from "~/server/observability/logger";

// One export per person at a time, on every instance together (a second gets 429): exports are the costliest reads
// there are, and parallel ones of the same data only multiply the cost. The slot is a row in export_leases that
// the export renews while it streams, so a crashed instance's export frees the slot within EXPORT_LEASE_SECONDS.

/** How long a lease lasts without renewal: an export whose instance died holds the slot at most this long. */
export const EXPORT_LEASE_SECONDS = 120;
const RENEW_EVERY_MS = (EXPORT_LEASE_SECONDS * 1000) / 3;

export interface ExportLease {
  /** Gives the slot back (safe to call more than once); never throws. */
  release(): Promise<void>;
}

const leaseEnd = sql`now() + make_interval(secs => ${EXPORT_LEASE_SECONDS})`;

/** Takes the person's export slot, or null when an export of theirs is under way (on any instance). */
export async function claimExportLease(db: Database, userId: string): Promise<ExportLease | null> {
  const holder = randomUUID();
  // A lease past its end belongs to nobody: taking it over is one upsert, decided by the database's clock.
  const [claimed] = await db
    .insert(exportLeases)
    .values({ userId, holder, expiresAt: leaseEnd })
    .onConflictDoUpdate({ target: exportLeases.userId, set: { holder, expiresAt: leaseEnd }, setWhere: sql`${exportLeases.expiresAt} < now()` })
    .returning({ holder: exportLeases.holder });
  if (!claimed) return null;

  const ours = and(eq(exportLeases.userId, userId), eq(exportLeases.holder, holder));
  const renewal = setInterval(() => {
    withDatabaseDeadline(db.update(exportLeases).set({ expiresAt: leaseEnd }).where(ours)).catch((error: unknown) => {
      // The next renewal tries again; if none succeeds, the lease lapses and another export may start.
      log.warn(`Could not renew an export lease: ${describeError(error)}`);
    });
  }, RENEW_EVERY_MS);
  renewal.unref();

  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      clearInterval(renewal);
      try {
        await withDatabaseDeadline(db.delete(exportLeases).where(ours));
      } catch (error) {
        // The lease then lapses on its own within EXPORT_LEASE_SECONDS.
        log.warn(`Could not end an export lease: ${describeError(error)}`);
      }
    },
  };
}
