import { z } from "zod";
import { isoTimeIn, startOfDayIn } from "~/server/account/time-zone";
import type { ActivityEntry } from "./queries";
import { EXPORT_MAX_DAYS } from "./schemas";

// The CSV export of the trail: RFC 4180 (CRLF, every text field quoted), safe to open in a spreadsheet
// whatever separator it splits on.

/** The columns after the first, which is the time, named with its zone: "time (Europe/London)". */
export const CSV_HEADER = ["token", "token_id", "tool", "outcome", "duration_ms", "client_ip", "user_agent", "summary", "error", "client_name", "client_version"];

const DAY_MS = 24 * 60 * 60 * 1000;
const day = z.iso.date({ error: "Give dates as YYYY-MM-DD." });
const dayNumber = (date: string) => Date.parse(`${date}T00:00:00Z`) / DAY_MS;

/** `from` and `to` are whole calendar days (YYYY-MM-DD), both included; exportPeriodIn places them in a zone. */
export const exportPeriodSchema = z
  .object({ from: day, to: day })
  .refine(({ from, to }) => from <= to, "The period ends before it starts.")
  .refine(({ from, to }) => dayNumber(to) - dayNumber(from) < EXPORT_MAX_DAYS, `Choose a period of at most ${EXPORT_MAX_DAYS} days.`);

/** The period's days in `timeZone` (the person's): [midnight of `from`, midnight after `to`). */
export function exportPeriodIn(period: { from: string; to: string }, timeZone: string): { from: Date; to: Date } {
  const dayAfter = new Date((dayNumber(period.to) + 1) * DAY_MS).toISOString().slice(0, 10);
  return { from: startOfDayIn(period.from, timeZone), to: startOfDayIn(dayAfter, timeZone) };
}

/** The header line: our own column names, plain, the time's naming the zone its values are in. */
export function csvHeaderLine(timeZone: string): string {
  return `${[`time (${timeZone})`, ...CSV_HEADER].join(",")}\r\n`;
}

export function csvRow(fields: (string | number | null)[]): string {
  return `${fields.map(csvField).join(",")}\r\n`;
}

/** One call; its time in ISO 8601 at `timeZone`'s wall clock, with the offset, so it is exact anywhere. */
export function activityCsvRow(entry: ActivityEntry, timeZone: string): string {
  return csvRow([
    isoTimeIn(entry.at, timeZone),
    entry.tokenName,
    entry.tokenId,
    entry.tool,
    entry.outcome,
    entry.durationMs,
    entry.clientIp,
    entry.userAgent,
    entry.summary,
    entry.error,
    entry.clientName,
    entry.clientVersion,
  ]);
}

function csvField(value: string | number | null): string {
  if (value === null) return "";
  if (typeof value === "number") return String(value);
  // A cell starting with = + - @ (after any spaces), a tab or a CR is a formula to a spreadsheet: a token name or
  // a user agent must not run as one (OWASP "CSV injection").
  const text = /^\s*[=+\-@]|^[\t\r]/.test(value) ? `'${value}` : value;
  // Every text is quoted, whatever it holds: a spreadsheet set to split on ";" (French, German locales) would
  // otherwise cut "x;=cmd|' /C calc'!A0" into a formula cell.
  return `"${text.replaceAll('"', '""')}"`;
}
