import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { ActivityTrail } from "~/components/activity/activity-trail";
import { TimeZoneNote } from "~/components/time-zone";
import { TokenDetails, TokenHeading } from "~/components/tokens/token-details";
import { env } from "~/env";
import { personTimeZone } from "~/server/account/time-zone";
import { getCurrentSession } from "~/server/auth/current-session";
import { fetchForPage, HydrateClient } from "~/trpc/server";

export const metadata: Metadata = { title: "Token" };

// The layout has checked the session. Another person's token, or a made-up id, is a 404 like any unknown page.
export default async function TokenPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const token = await fetchForPage((queries) => queries.tokens.get.fetch({ id }));
  // An old secret's id (a link from the activity log) leads to the token as it is now.
  if (token && token.id !== id) redirect(`/dashboard/tokens/${token.id}`);
  const { user } = await getCurrentSession();
  return (
    <main id="main" tabIndex={-1} className="page">
      <p>
        <Link href="/dashboard/tokens">← API tokens</Link>
      </p>
      <HydrateClient>
        <TokenHeading tokenId={id} />
        <TimeZoneNote />
        <TokenDetails tokenId={id} appUrl={env.APP_URL} />
      </HydrateClient>
      <ActivityTrail owner={{ tokenId: id }} chartLabel={token ? `Calls with “${token.name}”` : "Calls with this token"} showToken={false} timeZone={personTimeZone(user ?? {})} />
    </main>
  );
}
