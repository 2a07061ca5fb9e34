import type { Metadata } from "next";
import Link from "next/link";
import { notFound, redirect } from "next/navigation";
import { ActivityChart } from "~/components/activity/activity-chart";
import { ActivityLog } from "~/components/activity/activity-log";
import { ExportForm } from "~/components/activity/export-form";
import { formatDateTime } from "~/components/format";
import { TimeZoneNote } from "~/components/time-zone";
import { TokenDetails } from "~/components/tokens/token-details";
import { env } from "~/env";
import { personTimeZone } from "~/server/account/time-zone";
import { dailyActivity } from "~/server/activity/queries";
import { getCurrentSession } from "~/server/auth/current-session";
import { getDb, withDatabaseDeadline } from "~/server/db";
import { getToken } from "~/server/tokens/service";

export const metadata: Metadata = { title: "Token" };

// The layout has checked the session. Another person's token, or a made-up id, is a 404 like any unknown page.
export default async function TokenPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const { user } = await getCurrentSession();
  if (!user) notFound();
  const db = await withDatabaseDeadline(getDb());
  const token = await withDatabaseDeadline(getToken(db, user.id, id));
  if (!token) notFound();
  // An old secret's id (a link from the activity log) leads to the token as it is now.
  if (token.id !== id) redirect(`/dashboard/tokens/${token.id}`);
  const timeZone = personTimeZone(user);
  const days = await withDatabaseDeadline(dailyActivity(db, { userId: user.id, tokenIds: token.secretIds }, { timeZone }));
  return (
    <main id="main" tabIndex={-1} className="page">
      <p>
        <Link href="/dashboard/tokens">← API tokens</Link>
      </p>
      <h1>{token.name}</h1>
      {token.foundPublic && (
        <p className="warning">
          <strong>Found in public, revoked.</strong> Secret {token.foundPublic.prefix}… was reported by GitHub secret scanning
          {token.foundPublic.source ? ` (${token.foundPublic.source})` : ""} and revoked on {formatDateTime(token.foundPublic.at, timeZone)}
          {token.foundPublic.url ? (
            <>
              {" "}
              where it was found: <a href={token.foundPublic.url} rel="noreferrer noopener">{token.foundPublic.url}</a>
            </>
          ) : null}
          . Remove it from there, and create a new token for whatever used it.
        </p>
      )}
      <TimeZoneNote />
      <TokenDetails tokenId={token.id} appUrl={env.APP_URL} />
      <h2>Calls per day</h2>
      <ActivityChart days={days} timeZone={timeZone} label={`Calls with “${token.name}”`} />
      <ActivityLog tokenId={token.id} showToken={false} />
      <h2>Download</h2>
      <ExportForm tokenId={token.id} timeZone={timeZone} />
    </main>
  );
}
