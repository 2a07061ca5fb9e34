"use client";

import { useId, useState } from "react";
import { ACTIVITY_OUTCOMES, ACTIVITY_TOOLS, OUTCOME_LABELS, type ActivityCursor, type ActivityOutcome } from "~/server/activity/schemas";
import { api, type RouterOutputs } from "~/trpc/react";
import { formatRelative } from "~/components/format";
import { LoadFailure } from "~/components/request-error";
import { Timestamp } from "~/components/timestamp";
import { useNow } from "~/components/use-now";
import styles from "./activity.module.css";

type ActivityEntry = RouterOutputs["activity"]["list"]["entries"][number];

/**
 * The trail of one token (tokenId), one connected app (appId) or all the person's tokens, newest first, a page at a time, filtered
 * by outcome and tool. Pages follow a cursor, so new calls arriving do not shift what "older" means.
 */
export function ActivityLog({ tokenId, appId, showToken }: { tokenId?: string; appId?: string; showToken: boolean }) {
  const now = useNow(30_000);
  const [outcome, setOutcome] = useState<ActivityOutcome | "">("");
  const [tool, setTool] = useState("");
  // initialize, tools/list, server/discover, ping: a client's housekeeping, hidden unless asked for.
  const [protocol, setProtocol] = useState(false);
  // The cursors of the pages before the current one: "Newer" pops, "Older" pushes.
  const [cursors, setCursors] = useState<ActivityCursor[]>([]);
  const cursor = cursors.at(-1);
  const activity = api.activity.list.useQuery({
    tokenId,
    appId,
    outcome: outcome || undefined,
    tool: tool || undefined,
    protocol,
    cursor,
  });

  const resetPages = () => setCursors([]);
  const ids = useId();

  return (
    <section aria-labelledby="activity-heading">
      <h2 id="activity-heading">Activity</h2>
      <div className={styles.filters}>
        <div>
          <label htmlFor={`${ids}-outcome`}>Outcome</label>
          <select
            id={`${ids}-outcome`}
            value={outcome}
            onChange={(event) => {
              setOutcome(event.target.value as ActivityOutcome | "");
              resetPages();
            }}
          >
            <option value="">All outcomes</option>
            {ACTIVITY_OUTCOMES.map((value) => (
              <option key={value} value={value}>
                {OUTCOME_LABELS[value]}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor={`${ids}-tool`}>Tool</label>
          <select
            id={`${ids}-tool`}
            value={tool}
            onChange={(event) => {
              setTool(event.target.value);
              resetPages();
            }}
          >
            <option value="">All tools and methods</option>
            {ACTIVITY_TOOLS.map((value) => (
              <option key={value} value={value}>
                {value}
              </option>
            ))}
          </select>
        </div>
        <label className={`checkbox ${styles.protocolFilter}`}>
          <input
            type="checkbox"
            checked={protocol}
            onChange={(event) => {
              setProtocol(event.target.checked);
              resetPages();
            }}
          />
          Show protocol calls
        </label>
        <button type="button" onClick={() => void activity.refetch()} disabled={activity.isFetching}>
          Refresh
        </button>
      </div>

      {activity.isPending ? (
        <p role="status">Loading activity…</p>
      ) : activity.isError ? (
        <LoadFailure error={activity.error} attempt="load the activity" onRetry={() => void activity.refetch()} retrying={activity.isFetching} />
      ) : activity.data.entries.length === 0 ? (
        <p className="card">
          {outcome || tool
            ? "No calls match these filters."
            : protocol
              ? "No calls yet. Calls an assistant makes with this token show here within a second."
              : "No tool calls yet. Calls an assistant makes with this token show here within a second; its connection steps show with Show protocol calls."}
        </p>
      ) : (
        <ActivityTable entries={activity.data.entries} now={now} showToken={showToken} />
      )}

      <p className="actions">
        {cursors.length > 0 && (
          <button type="button" onClick={() => setCursors((stack) => stack.slice(0, -1))}>
            Newer calls
          </button>
        )}
        {activity.data?.nextCursor && (
          <button
            type="button"
            onClick={() => {
              const next = activity.data?.nextCursor;
              if (next) setCursors((stack) => [...stack, next]);
            }}
          >
            Older calls
          </button>
        )}
      </p>
    </section>
  );
}

function ActivityTable({ entries, now, showToken }: { entries: ActivityEntry[]; now: Date; showToken: boolean }) {
  // On phones each call is a card (globals.css .cards), with explicit table roles so that assistive
  // technology still reads a table; wider screens get the table, in a box that scrolls if it must.
  return (
    // The box may scroll, so keyboard users must be able to focus it (WCAG 2.1.1).
    <div className={styles.tableWrapper} role="region" aria-label="MCP calls table" tabIndex={0}>
      <table className="cards" role="table">
        <caption className="visually-hidden">MCP calls, newest first</caption>
        <thead role="rowgroup">
          <tr role="row">
            <th scope="col" role="columnheader">When</th>
            {showToken && <th scope="col" role="columnheader">Token</th>}
            <th scope="col" role="columnheader">Tool</th>
            <th scope="col" role="columnheader">Outcome</th>
            <th scope="col" role="columnheader">Details</th>
            <th scope="col" role="columnheader">Duration</th>
            <th scope="col" role="columnheader">Client</th>
          </tr>
        </thead>
        <tbody role="rowgroup">
          {entries.map((entry) => (
            <tr key={entry.id} role="row">
              <th scope="row" role="rowheader" className={styles.nowrap}>
                <Timestamp date={entry.at} relative>
                  {formatRelative(entry.at, now)}
                </Timestamp>
              </th>
              {showToken && (
                <td role="cell" data-label="Token">
                  <a href={entry.grantId ? `/dashboard/apps/${entry.grantId}` : `/dashboard/tokens/${entry.tokenId}`}>
                    <bdi>{entry.tokenName}</bdi>
                  </a>
                </td>
              )}
              <td role="cell" data-label="Tool">
                <code>{entry.tool}</code>
              </td>
              <td role="cell" data-label="Outcome" className={entry.outcome === "ok" ? styles.outcome_ok : styles.outcome_problem}>
                {OUTCOME_LABELS[entry.outcome]}
                {entry.error && <span className={styles.reason}>{entry.error}</span>}
              </td>
              <td role="cell" data-label="Details">
                {entry.summary ?? <span className="muted">—</span>}
              </td>
              <td role="cell" data-label="Duration" className={styles.nowrap}>
                {entry.durationMs} ms
              </td>
              <td role="cell" data-label="Client" className={styles.client}>
                {entry.clientIp ?? "unknown address"}
                {/* The client's own name when it sent one (clientInfo); else its HTTP library's user agent. */}
                {(entry.clientName || entry.userAgent) && (
                  <>
                    <br />
                    <bdi>{entry.clientName ? [entry.clientName, entry.clientVersion].filter(Boolean).join(" ") : entry.userAgent}</bdi>
                  </>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
