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

/** Days within which an expiry is worth a word on rows and token pages. */
const EXPIRES_SOON_DAYS = 14;

/** "Expires in 3 days" (or "in 5 hours", "today") when `expiresAt` is within two weeks and ahead; else null. */
export function expiresSoon(expiresAt: Date, now: Date = new Date()): string | null {
  const left = expiresAt.getTime() - now.getTime();
  if (left <= 0 || left > EXPIRES_SOON_DAYS * 24 * 60 * 60 * 1000) return null;
  const days = Math.floor(left / (24 * 60 * 60 * 1000));
  if (days >= 1) return `Expires in ${days} ${days === 1 ? "day" : "days"}`;
  const hours = Math.floor(left / (60 * 60 * 1000));
  return hours >= 1 ? `Expires in ${hours} ${hours === 1 ? "hour" : "hours"}` : "Expires in less than an hour";
}

/** "mcp_AbCd1234…": the ellipsis says there is more, which is never shown. */
export function displayPrefix(prefix: string): string {
  return `${prefix}…`;
}
