import { z } from "zod";

// The zone a person reads times in (issue 20 item 6): the browser's, kept in users.time_zone, changeable on
// /settings. Shared with client components (the Time zone select, the formatters): zod only, no database code.

/** Until a person's browser has told us their zone, times read in UTC, labelled as such. */
export const DEFAULT_TIME_ZONE = "UTC";

/**
 * The IANA zones this server's Intl knows, sorted, with "UTC" (which Intl.supportedValuesOf leaves out, though
 * every browser resolves to it). PostgreSQL knows each of them too (time-zone.test.ts checks both databases).
 */
export const TIME_ZONES: readonly string[] = [...new Set([...Intl.supportedValuesOf("timeZone"), DEFAULT_TIME_ZONE])].sort();

const supported = new Set(TIME_ZONES);

/**
 * The zone as this server's Intl names it ("asia/kolkata" → "Asia/Calcutta"), or null when it is not one of
 * TIME_ZONES: a browser with a newer zone database may say "Asia/Kolkata" where ours says "Asia/Calcutta".
 */
export function canonicalTimeZone(name: string): string | null {
  if (supported.has(name)) return name;
  const resolved = resolvedZone(name);
  return resolved !== null && supported.has(resolved) ? resolved : null;
}

export const timeZoneSchema = z
  .string()
  .max(64, { error: "Choose a time zone from the list." })
  .transform((name, context) => {
    const zone = canonicalTimeZone(name.trim());
    if (zone) return zone;
    context.addIssue({ code: "custom", message: `“${name.slice(0, 64)}” is not a time zone we know. Choose one from the list, such as Europe/London.` });
    return z.NEVER;
  });

/** The Time zone select's options under their region's name: "New York (GMT-5) · America/New_York". */
export type TimeZoneChoices = { region: string; options: { zone: string; label: string }[] }[];

/**
 * TIME_ZONES (UTC aside) as the Time zone select offers them, each labelled with its offset at `now`: the place
 * first, so typing a city's first letters on the closed select finds it. Made on the server and handed to the
 * page as it is: the browser's zone database may be another release than this server's (in December 2026
 * Chromium 156 and Node 20.20 disagreed on six zones' offsets), and labels worked out in both differ at hydration.
 * It is also the list the server accepts, and the offsets it formats times with.
 */
export function timeZoneChoices(now: Date): TimeZoneChoices {
  const regions = new Map<string, { zone: string; label: string }[]>();
  for (const zone of TIME_ZONES) {
    if (zone === DEFAULT_TIME_ZONE) continue;
    const [region = zone, ...rest] = zone.split("/");
    const place = (rest.at(-1) ?? zone).replaceAll("_", " ");
    const offset = new Intl.DateTimeFormat("en", { timeZone: zone, timeZoneName: "shortOffset" }).formatToParts(now).find((part) => part.type === "timeZoneName")?.value;
    const options = regions.get(region) ?? [];
    options.push({ zone, label: `${place} (${offset ?? zone}) · ${zone}` });
    regions.set(region, options);
  }
  return [...regions].map(([region, options]) => ({ region, options: options.sort((a, b) => a.label.localeCompare(b.label, "en")) }));
}

/**
 * The choice naming the same zone as `zone` in this runtime's zone database, or null when none does. In a
 * browser, "Use this browser's zone" needs it: the browser may call a zone "Asia/Kolkata" where the server's list
 * (made with the server's database) says "Asia/Calcutta", and a select set to a value it lacks shows its first
 * option instead.
 */
export function matchingChoice(zone: string, choices: TimeZoneChoices): string | null {
  const zones = [DEFAULT_TIME_ZONE, ...choices.flatMap(({ options }) => options.map((option) => option.zone))];
  if (zones.includes(zone)) return zone;
  const target = resolvedZone(zone);
  return target === null ? null : (zones.find((choice) => resolvedZone(choice) === target) ?? null);
}

/** The zone as this runtime's Intl names it, or null when Intl does not know it. */
function resolvedZone(name: string): string | null {
  try {
    return new Intl.DateTimeFormat("en", { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

/** The zone a person's times are shown in: theirs once known (and still known to this server), else the default. */
export function personTimeZone(user: { timeZone?: string | null }): string {
  return (user.timeZone && canonicalTimeZone(user.timeZone)) ?? DEFAULT_TIME_ZONE;
}

/** "2026-12-04": the calendar day `date` falls on in `timeZone`. */
export function dayIn(date: Date, timeZone: string): string {
  // en-CA writes dates as YYYY-MM-DD.
  return new Intl.DateTimeFormat("en-CA", { year: "numeric", month: "2-digit", day: "2-digit", timeZone }).format(date);
}

const offsetFormats = new Map<string, Intl.DateTimeFormat>();
const MINUTE_MS = 60_000;

/** Minutes `timeZone` is ahead of UTC at `date` (-300 in New York in winter, 330 in India). */
export function utcOffsetMinutes(date: Date, timeZone: string): number {
  let format = offsetFormats.get(timeZone);
  if (!format) {
    const fields = { year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", second: "numeric" } as const;
    format = new Intl.DateTimeFormat("en-US", { ...fields, hourCycle: "h23", timeZone });
    offsetFormats.set(timeZone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(date).map((part) => [part.type, Number(part.value)]));
  const wallClock = Date.UTC(parts.year ?? 1970, (parts.month ?? 1) - 1, parts.day ?? 1, parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0);
  return Math.round((wallClock - (date.getTime() - date.getUTCMilliseconds())) / MINUTE_MS);
}

/** The instant a calendar day (YYYY-MM-DD) starts in `timeZone`: its midnight, or the first moment after it. */
export function startOfDayIn(day: string, timeZone: string): Date {
  const midnightUtc = Date.parse(`${day}T00:00:00Z`);
  // The offset at a first guess, then at the instant it gives: right unless midnight is skipped by a clock change.
  const guess = midnightUtc - utcOffsetMinutes(new Date(midnightUtc), timeZone) * MINUTE_MS;
  return new Date(midnightUtc - utcOffsetMinutes(new Date(guess), timeZone) * MINUTE_MS);
}

/** ISO 8601 at the wall-clock time of `timeZone`, with its offset: "2026-12-04T07:14:03.120-05:00". */
export function isoTimeIn(date: Date, timeZone: string): string {
  const offset = utcOffsetMinutes(date, timeZone);
  const wallClock = new Date(date.getTime() + offset * MINUTE_MS).toISOString().slice(0, -1);
  const hours = String(Math.floor(Math.abs(offset) / 60)).padStart(2, "0");
  const minutes = String(Math.abs(offset) % 60).padStart(2, "0");
  return `${wallClock}${offset < 0 ? "-" : "+"}${hours}:${minutes}`;
}
