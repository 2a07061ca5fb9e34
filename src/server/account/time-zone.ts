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
  try {
    const resolved = new Intl.DateTimeFormat("en", { timeZone: name }).resolvedOptions().timeZone;
    return supported.has(resolved) ? resolved : null;
  } catch {
    return null;
  }
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

/** The zone a person's times are shown in: theirs once known (and still known to this server), else the default. */
export function personTimeZone(user: { timeZone?: string | null }): string {
  return (user.timeZone && canonicalTimeZone(user.timeZone)) ?? DEFAULT_TIME_ZONE;
}

/** "2026-12-04": the calendar day `date` falls on in `timeZone`. */
export function dayIn(date: Date, timeZone: string): string {
  // en-CA writes dates as YYYY-MM-DD.
  return new Intl.DateTimeFormat("en-CA", { year: "numeric", month: "2-digit", day: "2-digit", timeZone }).format(date);
}
