import type { Metadata } from "next";
import Link from "next/link";
import { ActivityChart } from "~/components/activity/activity-chart";
import { ActivityLog } from "~/components/activity/activity-log";
import { ExportForm } from "~/components/activity/export-form";
import { TimeZoneNote } from "~/components/time-zone";
import { env } from "~/env";
import { personTimeZone } from "~/server/account/time-zone";
import { dailyActivity } from "~/server/activity/queries";
import { getCurrentSession } from "~/server/auth/current-session";
import { getDb, withDatabaseDeadline } from "~/server/db";

export const metadata: Metadata = { title: "Activity" };

export default async function ActivityPage() {
  const { user } = await getCurrentSession();
  const db = await withDatabaseDeadline(getDb());
  const timeZone = personTimeZone(user ?? {});
  const days = user ? await withDatabaseDeadline(dailyActivity(db, { userId: user.id }, { timeZone })) : [];
  return (
    <main id="main" tabIndex={-1} className="page">
      <h1>Activity</h1>
      <p className="lead">
        Every call your assistants made with your <Link href="/dashboard/tokens">API tokens</Link>: which tool, how it ended, from
        where. Arguments are not kept (they may hold medical notes); each call shows a few words to recognise it by. Calls are kept{" "}
        {env.ACTIVITY_RETENTION_DAYS} days.
      </p>
      <TimeZoneNote />
      <h2>Calls per day</h2>
      <ActivityChart days={days} timeZone={timeZone} label="Calls with all your tokens" />
      <ActivityLog showToken />
      <h2>Download</h2>
      <ExportForm timeZone={timeZone} />
    </main>
  );
}
