import { dayIn } from "~/server/account/time-zone";
import { EXPORT_MAX_DAYS } from "~/server/activity/schemas";
import styles from "./activity.module.css";

const DAY_MS = 24 * 60 * 60 * 1000;

/** A plain GET form: the browser downloads the CSV itself, streamed by /api/activity/export. */
export function ExportForm({ tokenId, appId, timeZone }: { tokenId?: string; appId?: string; timeZone: string }) {
  // The last 30 days of the chart: calendar days in the person's zone, counted back in UTC where each is 24 hours.
  const today = dayIn(new Date(), timeZone);
  const monthAgo = new Date(Date.parse(`${today}T00:00:00Z`) - 29 * DAY_MS).toISOString().slice(0, 10);
  return (
    <form className={styles.exportForm} method="get" action="/api/activity/export">
      {tokenId && <input type="hidden" name="token" value={tokenId} />}
      {appId && <input type="hidden" name="app" value={appId} />}
      <label>
        From
        <input type="date" name="from" defaultValue={monthAgo} required />
      </label>
      <label>
        To
        <input type="date" name="to" defaultValue={today} required />
      </label>
      <button type="submit">Download CSV</button>
      <span className="muted">
        Whole days in {timeZone}, both included, at most {EXPORT_MAX_DAYS} days. The file’s times are in {timeZone} too, each with its UTC offset.
      </span>
    </form>
  );
}
