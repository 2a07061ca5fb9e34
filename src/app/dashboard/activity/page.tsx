import type { Metadata } from "next";
import Link from "next/link";
import { ActivityTrail } from "~/components/activity/activity-trail";
import { TimeZoneNote } from "~/components/time-zone";
import { env } from "~/env";
import { personTimeZone } from "~/server/account/time-zone";
import { getCurrentSession } from "~/server/auth/current-session";

export const metadata: Metadata = { title: "Activity" };

export default async function ActivityPage() {
  const { user } = await getCurrentSession();
  return (
    <main id="main" tabIndex={-1} className="page">
      <h1>Activity</h1>
      <p className="lead">
        Every call your assistants made with your <Link href="/dashboard/tokens">API tokens</Link>: which tool, how it ended, from
        where. Arguments are not kept (they may hold medical notes); each call shows a few words to recognise it by. Calls are kept{" "}
        {env.ACTIVITY_RETENTION_DAYS} days.
      </p>
      <TimeZoneNote />
      <ActivityTrail owner={{}} chartLabel="Calls with all your tokens" showToken timeZone={personTimeZone(user ?? {})} />
    </main>
  );
}
