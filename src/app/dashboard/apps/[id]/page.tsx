import type { Metadata } from "next";
import Link from "next/link";
import { ActivityTrail } from "~/components/activity/activity-trail";
import { isolated } from "~/components/oauth/client-name";
import { ConnectedAppHeading, ConnectedAppSettings } from "~/components/oauth/connected-apps";
import { TimeZoneNote } from "~/components/time-zone";
import { env } from "~/env";
import { personTimeZone } from "~/server/account/time-zone";
import { getCurrentSession } from "~/server/auth/current-session";
import { fetchForPage, HydrateClient } from "~/trpc/server";

export const metadata: Metadata = { title: "Connected app" };

// A connected app's page: what it was granted and everything it did, across the access tokens it was issued
// (one an hour). Another person's app, or a made-up id, is a 404 like any unknown page.
export default async function ConnectedAppPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const app = await fetchForPage((queries) => queries.connectedApps.get.fetch({ id }));
  const { user } = await getCurrentSession();
  return (
    <main id="main" tabIndex={-1} className="page">
      <p>
        <Link href="/dashboard/tokens">← API tokens</Link>
      </p>
      <HydrateClient>
        <ConnectedAppHeading appId={id} />
        <TimeZoneNote />
        <ConnectedAppSettings appId={id} />
      </HydrateClient>
      <ActivityTrail owner={{ appId: id }} chartLabel={app ? `Calls by “${isolated(app.clientName)}”` : "Calls by this app"} showToken={false} timeZone={personTimeZone(user ?? {})}>
        <p className="muted">Calls are kept {env.ACTIVITY_RETENTION_DAYS} days.</p>
      </ActivityTrail>
    </main>
  );
}
