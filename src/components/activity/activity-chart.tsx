import type { DailyCount } from "~/server/activity/queries";
import styles from "./activity.module.css";

const WIDTH = 600;
const HEIGHT = 120;
const AXIS = 16;

/**
 * Calls per day as server-rendered SVG bars: no chart library, no script. The figures are also in a
 * visually hidden table, so screen readers get the numbers rather than a picture.
 */
export function ActivityChart({ days, label }: { days: DailyCount[]; label: string }) {
  const max = Math.max(1, ...days.map((day) => day.calls));
  const total = days.reduce((sum, day) => sum + day.calls, 0);
  const slot = WIDTH / Math.max(1, days.length);
  const first = days[0]?.day;
  const last = days.at(-1)?.day;
  return (
    <figure>
      <svg className={styles.chart} viewBox={`0 0 ${WIDTH} ${HEIGHT + AXIS}`} role="img" aria-label={`${label}: ${total} calls in ${days.length} days`}>
        {days.map((day, index) => {
          const height = day.calls === 0 ? 0 : Math.max(2, Math.round((day.calls / max) * HEIGHT));
          return (
            <rect key={day.day} className={styles.bar} x={index * slot + 1} y={HEIGHT - height} width={Math.max(1, slot - 2)} height={height}>
              <title>{`${day.day}: ${day.calls} ${day.calls === 1 ? "call" : "calls"}`}</title>
            </rect>
          );
        })}
        <line x1={0} x2={WIDTH} y1={HEIGHT + 0.5} y2={HEIGHT + 0.5} stroke="currentColor" strokeOpacity={0.3} />
        {first && (
          <text x={0} y={HEIGHT + AXIS - 3}>
            {first}
          </text>
        )}
        {last && (
          <text x={WIDTH} y={HEIGHT + AXIS - 3} textAnchor="end">
            {last}
          </text>
        )}
        <text x={WIDTH} y={10} textAnchor="end">{`max ${max}/day`}</text>
      </svg>
      <figcaption className="muted">
        {label}: {total} {total === 1 ? "call" : "calls"} in the last {days.length} days (UTC).
      </figcaption>
    </figure>
  );
}
