// How dates read across the app: one locale ("en") and one time zone, so the server's first paint and the
// browser's hydration print the same text, and tests and screenshots agree.

/** The hospitals are in France: appointment times are read in their local time, and so is everything else. */
export const DISPLAY_TIME_ZONE = "Europe/Paris";
export const DISPLAY_TIME_ZONE_LABEL = "Paris time";

const dateFormat = new Intl.DateTimeFormat("en", { dateStyle: "medium", timeZone: DISPLAY_TIME_ZONE });
const dateTimeFormat = new Intl.DateTimeFormat("en", { dateStyle: "medium", timeStyle: "short", timeZone: DISPLAY_TIME_ZONE });
const relativeFormat = new Intl.RelativeTimeFormat("en", { numeric: "always" });

export function formatDate(date: Date): string {
  return dateFormat.format(date);
}

export function formatDateTime(date: Date): string {
  return dateTimeFormat.format(date);
}

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ["year", 365 * 24 * 60 * 60],
  ["month", 30 * 24 * 60 * 60],
  ["week", 7 * 24 * 60 * 60],
  ["day", 24 * 60 * 60],
  ["hour", 60 * 60],
  ["minute", 60],
];

/** "just now" under a minute, else "3 minutes ago", "in 2 days": the largest whole unit, rounded. */
export function formatRelative(date: Date, now: Date = new Date()): string {
  const seconds = Math.round((date.getTime() - now.getTime()) / 1000);
  const magnitude = Math.abs(seconds);
  for (const [unit, size] of UNITS) {
    if (magnitude >= size) return relativeFormat.format(Math.sign(seconds) * Math.round(magnitude / size), unit);
  }
  return "just now";
}

/** "mcp_AbCd1234…": the ellipsis says there is more, which is never shown. */
export function displayPrefix(prefix: string): string {
  return `${prefix}…`;
}
