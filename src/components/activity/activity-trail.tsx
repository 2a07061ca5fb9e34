import type { ReactNode } from "react";
import { api, HydrateClient } from "~/trpc/server";
import { ActivityChart } from "./activity-chart";
import { ActivityLog } from "./activity-log";
import { ExportForm } from "./export-form";

/**
 * A page's calls: per day, the log, and the download; all of the person's (no owner), one token's or one connected
 * app's. Both queries are fetched before the first HTML; one that fails is fetched again in the browser, where its
 * section says what went wrong and offers Retry. `children` go between the log and the download; `timeZone` is
 * the person's, for the download's days.
 */
export async function ActivityTrail({
  owner,
  chartLabel,
  showToken,
  timeZone,
  children,
}: {
  owner: { tokenId?: string; appId?: string };
  chartLabel: string;
  showToken: boolean;
  timeZone: string;
  children?: ReactNode;
}) {
  // The log's first page as ActivityLog first asks for it (protocol calls hidden), so the browser has it already.
  await Promise.all([api.activity.daily.prefetch(owner), api.activity.list.prefetch({ ...owner, protocol: false })]);
  return (
    <HydrateClient>
      <h2>Calls per day</h2>
      <ActivityChart owner={owner} label={chartLabel} />
      <ActivityLog tokenId={owner.tokenId} appId={owner.appId} showToken={showToken} />
      {children}
      <h2>Download</h2>
      <ExportForm tokenId={owner.tokenId} appId={owner.appId} timeZone={timeZone} />
    </HydrateClient>
  );
}
