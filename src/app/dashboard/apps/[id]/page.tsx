import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { ActivityChart } from "~/components/activity/activity-chart";
import { ActivityLog } from "~/components/activity/activity-log";
import { ExportForm } from "~/components/activity/export-form";
import styles from "~/components/activity/activity.module.css";
import { formatDateTime } from "~/components/format";
import { ClientName, isolated, recognisedClient } from "~/components/oauth/client-name";
import { AppRevocation } from "~/components/oauth/connected-apps";
import { TimeZoneNote } from "~/components/time-zone";
import { env } from "~/env";
import { personTimeZone } from "~/server/account/time-zone";
import { dailyActivity } from "~/server/activity/queries";
import { getCurrentSession } from "~/server/auth/current-session";
import { getDb, withDatabaseDeadline } from "~/server/db";
import { connectedAppTokenIds, getConnectedApp } from "~/server/oauth/grants";

export const metadata: Metadata = { title: "Connected app" };

// A connected app's page: what it was granted and everything it did, across the access tokens it was issued
// (one an hour). Another person's app, or a made-up id, is a 404 like any unknown page.
export default async function ConnectedAppPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const { user } = await getCurrentSession();
  if (!user) notFound();
  const db = await withDatabaseDeadline(getDb());
  const app = await withDatabaseDeadline(getConnectedApp(db, user.id, id));
  const tokenIds = app ? await withDatabaseDeadline(connectedAppTokenIds(db, user.id, id)) : null;
  if (!app || !tokenIds) notFound();
  const recognised = recognisedClient(app.clientName, app.clientHost);
  const timeZone = personTimeZone(user);
  const days = await withDatabaseDeadline(dailyActivity(db, { userId: user.id, tokenIds }, { timeZone }));
  return (
    <main id="main" tabIndex={-1} className="page">
      <p>
        <Link href="/dashboard/tokens">← API tokens</Link>
      </p>
      <h1>
        <ClientName name={app.clientName} />
      </h1>
      <TimeZoneNote />
      <section className="card" aria-labelledby="settings-heading">
        <h2 id="settings-heading">Settings</h2>
        <dl className={styles.settings}>
          <dt>Verified by</dt>
          <dd>
            {app.clientHost ??
              `Nobody: the app chose its name itself (unverified)${recognised ? `. It is the name ${recognised} gives itself.` : ""}`}
          </dd>
          <dt>Sends you back to</dt>
          <dd>{app.redirectHost}</dd>
          <dt>May</dt>
          <dd>{app.scopes.join(", ")}</dd>
          <dt>Connected</dt>
          <dd>{formatDateTime(app.connectedAt, timeZone)}</dd>
          <dt>Status</dt>
          <dd>
            <AppRevocation app={{ id: app.id, clientName: app.clientName }} revokedLabel={app.revokedAt ? `Access revoked ${formatDateTime(app.revokedAt, timeZone)}` : null} />
          </dd>
        </dl>
      </section>
      <h2>Calls per day</h2>
      <ActivityChart days={days} timeZone={timeZone} label={`Calls by “${isolated(app.clientName)}”`} />
      <ActivityLog appId={app.id} showToken={false} />
      <p className="muted">Calls are kept {env.ACTIVITY_RETENTION_DAYS} days.</p>
      <h2>Download</h2>
      <ExportForm appId={app.id} timeZone={timeZone} />
    </main>
  );
}
