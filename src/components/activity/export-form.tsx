import { EXPORT_MAX_DAYS } from "~/server/activity/schemas";
import styles from "./activity.module.css";

/** A plain GET form: the browser downloads the CSV itself, streamed by /api/activity/export. */
export function ExportForm({ tokenId, appId }: { tokenId?: string; appId?: string }) {
  const today = new Date();
  const monthAgo = new Date(today.getTime() - 29 * 24 * 60 * 60 * 1000);
  const day = (date: Date) => date.toISOString().slice(0, 10);
  return (
    <form className={styles.exportForm} method="get" action="/api/activity/export">
      {tokenId && <input type="hidden" name="token" value={tokenId} />}
      {appId && <input type="hidden" name="app" value={appId} />}
      <label>
        From
        <input type="date" name="from" defaultValue={day(monthAgo)} required />
      </label>
      <label>
        To
        <input type="date" name="to" defaultValue={day(today)} required />
      </label>
      <button type="submit">Download CSV</button>
      <span className="muted">Whole days in UTC, both included, at most {EXPORT_MAX_DAYS} days.</span>
    </form>
  );
}
