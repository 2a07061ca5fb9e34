import { dayIn } from "~/server/account/time-zone";

// How dates read across the app: one locale ("en"), and the zone given with each call: the person's own for
// everything they did (calls, tokens, sessions), the hospital's for an appointment (issue 20 item 6). The
// server formats with the zone stored for the person and the browser with the same one (TimeZoneProvider),
// so the first paint and the hydration print the same text.

const formats = new Map<string, Intl.DateTimeFormat>();

function format(kind: "date" | "dateTime" | "wallTime", timeZone: string): Intl.DateTimeFormat {
  const key = `${kind} ${timeZone}`;
  let formatter = formats.get(key);
  if (!formatter) {
    const options: Intl.DateTimeFormatOptions =
      kind === "date"
        ? { dateStyle: "medium", timeZone }
        : // dateStyle "medium" with timeStyle "short", spelt out: the two styles do not combine with timeZoneName.
          { year: "numeric", month: "short", day: "numeric", hour: "numeric", minute: "2-digit", timeZone, timeZoneName: kind === "dateTime" ? "short" : undefined };
    formatter = new Intl.DateTimeFormat("en", options);
    formats.set(key, formatter);
  }
  return formatter;
}

/** "May 15, 2030": the day `date` falls on in `timeZone`. */
export function formatDate(date: Date, timeZone: string): string {
  return format("date", timeZone).format(date);
}

/** "May 15, 2030, 12:30 AM EDT": with the zone's short name (or its offset, "GMT+2"), so a time read alone still says which. */
export function formatDateTime(date: Date, timeZone: string): string {
  return format("dateTime", timeZone).format(date);
}

/** "Paris time": what a place's clock reads, named after the zone's city ("America/New_York" → "New York time"). */
export function placeTimeLabel(timeZone: string): string {
  return timeZone === "UTC" ? "UTC" : `${(timeZone.split("/").at(-1) ?? timeZone).replaceAll("_", " ")} time`;
}

/** "May 15, 2030, 10:30 AM (Paris time)": an appointment, at the hospital's wall-clock time, labelled with its place. */
export function formatAppointment(date: Date, timeZone: string): string {
  return `${format("wallTime", timeZone).format(date)} (${placeTimeLabel(timeZone)})`;
}

const relativeFormat = new Intl.RelativeTimeFormat("en", { numeric: "always" });

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

/** Days since 1970-01-01 of a YYYY-MM-DD calendar date. */
function dayNumber(day: string): number {
  return Date.parse(`${day}T00:00:00Z`) / (24 * 60 * 60 * 1000);
}

/**
 * "Expires in 3 days" when `expiresAt` is within two weeks and ahead, else null. Days are counted between
 * calendar dates in `timeZone`, the zone the expiry date is shown in, so "in 10 days" and the date beside it
 * agree; on the day itself, the hours left ("in 5 hours", "in less than an hour").
 */
export function expiresSoon(expiresAt: Date, now: Date, timeZone: string): string | null {
  const left = expiresAt.getTime() - now.getTime();
  if (left <= 0) return null;
  const days = dayNumber(dayIn(expiresAt, timeZone)) - dayNumber(dayIn(now, timeZone));
  if (days > EXPIRES_SOON_DAYS) return null;
  if (days >= 1) return `Expires in ${days} ${days === 1 ? "day" : "days"}`;
  const hours = Math.floor(left / (60 * 60 * 1000));
  return hours >= 1 ? `Expires in ${hours} ${hours === 1 ? "hour" : "hours"}` : "Expires in less than an hour";
}

/** "mcp_AbCd1234…": the ellipsis says there is more, which is never shown. */
export function displayPrefix(prefix: string): string {
  return `${prefix}…`;
}
