import { eq } from "drizzle-orm";
import { describeDevice } from "~/server/auth/device";
import { listUserSessions } from "~/server/auth/session";
import { listBookings } from "~/server/bookings/queries";
import type { Database } from "~/server/db/client";
import { users } from "~/server/db/schema";
import { exportActivity, type ActivityEntry } from "~/server/activity/queries";
import { listConnectedApps } from "~/server/oauth/grants";
import { listTokens } from "~/server/tokens/service";

// "Export my data" (GDPR art. 15 and 20): everything the app holds about a person, as JSON. One entry per
// kind of data; a new kind is one more line in `sections`. Each reader names its columns, so no secret
// (password hash, token hash, session id) can slip in.

async function exportProfile(db: Database, userId: string) {
  const [profile] = await db
    .select({
      id: users.id,
      email: users.email,
      firstname: users.firstname,
      surname: users.surname,
      createdAt: users.createdAt,
      emailVerifiedAt: users.emailVerifiedAt,
    })
    .from(users)
    .where(eq(users.id, userId));
  return profile ?? null;
}

async function exportSessions(db: Database, userId: string) {
  const sessions = await listUserSessions(db, userId);
  return sessions.map(({ userAgent, createdAt, lastSeenAt, expiresAt }) => ({
    device: describeDevice(userAgent),
    userAgent,
    createdAt,
    lastSeenAt,
    expiresAt,
  }));
}

/** The whole trail the person still has (ACTIVITY_RETENTION_DAYS), oldest first. */
async function exportAllActivity(db: Database, userId: string) {
  const entries: ActivityEntry[] = [];
  for await (const page of exportActivity(db, { userId }, { from: new Date(0), to: new Date(Date.now() + 60_000) })) entries.push(...page);
  return entries;
}

const sections = {
  profile: exportProfile,
  sessions: exportSessions,
  tokens: listTokens,
  connectedApps: listConnectedApps,
  activity: exportAllActivity,
  bookings: (db: Database, userId: string) => listBookings(db, userId),
} satisfies Record<string, (db: Database, userId: string) => Promise<unknown>>;

export type AccountExport = { exportedAt: string } & { [Name in keyof typeof sections]: Awaited<ReturnType<(typeof sections)[Name]>> };

export async function exportAccountData(db: Database, userId: string, now: Date = new Date()): Promise<AccountExport> {
  const entries = await Promise.all(Object.entries(sections).map(async ([name, read]) => [name, await read(db, userId)] as const));
  return { exportedAt: now.toISOString(), ...Object.fromEntries(entries) } as AccountExport;
}
