"use client";

import { useRef, useState, type KeyboardEvent } from "react";
import { LoadFailure } from "~/components/request-error";
import { useTimeZone } from "~/components/time-zone";
import type { DailyCount } from "~/server/activity/queries";
import { api } from "~/trpc/react";
import styles from "./activity.module.css";

// The days are calendar days (YYYY-MM-DD) in the person's zone; a date at UTC midnight printed in UTC is that day.
const dayFormat = new Intl.DateTimeFormat("en", { day: "numeric", month: "short", timeZone: "UTC" });

function dayLabel(day: string): string {
  return dayFormat.format(new Date(`${day}T00:00:00Z`));
}

function callsLabel(calls: number): string {
  return `${calls} ${calls === 1 ? "call" : "calls"}`;
}

/**
 * Calls per day over the last 30 days of the person's calls, one of their tokens' (tokenId) or one of their
 * connected apps' (appId), in their time zone. The page prefetches it on the server.
 */
export function ActivityChart({ owner, label }: { owner: { tokenId?: string; appId?: string }; label: string }) {
  const daily = api.activity.daily.useQuery(owner);
  const timeZone = useTimeZone();
  if (daily.isPending) return <p role="status">Loading the chart…</p>;
  if (daily.isError) {
    return <LoadFailure error={daily.error} attempt="load the calls per day" onRetry={() => void daily.refetch()} retrying={daily.isFetching} />;
  }
  return <DailyChart days={daily.data} timeZone={timeZone} label={label} />;
}

/**
 * Calls per day as HTML bars, so the text stays at reading size on a phone (an SVG's text shrinks with it).
 * One Tab stop: the arrow keys move between days, and the focused or hovered day's figure shows above the
 * bars, clear of them. The same figures are in a table under "Show the numbers".
 */
function DailyChart({ days, timeZone, label }: { days: DailyCount[]; timeZone: string; label: string }) {
  const max = Math.max(1, ...days.map((day) => day.calls));
  const total = days.reduce((sum, day) => sum + day.calls, 0);
  const busiest = days.reduce<DailyCount | null>((best, day) => (day.calls > (best?.calls ?? 0) ? day : best), null);
  const [active, setActive] = useState<number | null>(null);
  // The most recent day is where Tab lands first.
  const [focusable, setFocusable] = useState(Math.max(0, days.length - 1));
  const barRefs = useRef<(HTMLButtonElement | null)[]>([]);
  const shown = active === null ? null : days[active];

  function onKeyDown(event: KeyboardEvent<HTMLDivElement>) {
    const moves: Record<string, number> = { ArrowLeft: focusable - 1, ArrowRight: focusable + 1, Home: 0, End: days.length - 1 };
    const next = moves[event.key];
    if (next === undefined || next < 0 || next >= days.length) return;
    event.preventDefault();
    setFocusable(next);
    setActive(next);
    barRefs.current[next]?.focus();
  }

  return (
    <figure className={styles.chartFigure}>
      <figcaption>
        {label}: {callsLabel(total)} in the last {days.length} days (days in {timeZone}).
      </figcaption>
      <p className={styles.chartReadout} aria-hidden="true">
        {shown
          ? `${dayLabel(shown.day)}: ${callsLabel(shown.calls)}`
          : busiest
            ? `Busiest day: ${dayLabel(busiest.day)}, ${callsLabel(busiest.calls)}`
            : "No calls yet"}
      </p>
      <div role="group" aria-label={`${label}, per day`} className={styles.bars} onKeyDown={onKeyDown} onMouseLeave={() => setActive(null)}>
        {days.map((day, index) => (
          <button
            key={day.day}
            type="button"
            ref={(element) => {
              barRefs.current[index] = element;
            }}
            className={styles.barSlot}
            tabIndex={index === focusable ? 0 : -1}
            aria-label={`${dayLabel(day.day)}: ${callsLabel(day.calls)}`}
            onFocus={() => {
              setFocusable(index);
              setActive(index);
            }}
            onBlur={() => setActive(null)}
            onMouseEnter={() => setActive(index)}
          >
            <span className={styles.bar} style={{ height: day.calls === 0 ? 0 : `max(2px, ${(day.calls / max) * 100}%)` }} />
          </button>
        ))}
      </div>
      <div className={styles.chartAxis} aria-hidden="true">
        <span>{days[0] ? dayLabel(days[0].day) : ""}</span>
        <span>{days.at(-1) ? dayLabel(days.at(-1)?.day ?? "") : ""}</span>
      </div>
      <details className={styles.chartNumbers}>
        <summary>Show the numbers</summary>
        <table>
          <caption className="visually-hidden">
            {label}, per day ({timeZone})
          </caption>
          <thead>
            <tr>
              <th scope="col">Day</th>
              <th scope="col">Calls</th>
            </tr>
          </thead>
          <tbody>
            {days.map((day) => (
              <tr key={day.day}>
                <th scope="row">
                  <time dateTime={day.day}>{dayLabel(day.day)}</time>
                </th>
                <td>{day.calls}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
