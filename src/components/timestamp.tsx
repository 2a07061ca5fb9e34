import type { ReactNode } from "react";
import { formatDateTime } from "~/components/format";
import { useTimeZone } from "~/components/time-zone";

/**
 * A date in the page's words (the children), machine-readable, with the exact date and time on hover.
 * `relative`: words like "3 minutes ago", which may differ by a minute between the server's render and the browser's.
 */
export function Timestamp({ date, children, relative = false, className }: { date: Date; children: ReactNode; relative?: boolean; className?: string }) {
  const timeZone = useTimeZone();
  return (
    <time dateTime={date.toISOString()} title={formatDateTime(date, timeZone)} className={className} suppressHydrationWarning={relative}>
      {children}
    </time>
  );
}
