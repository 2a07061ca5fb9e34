import { z } from "zod";
import type { ActivityEntry } from "./queries";
import { EXPORT_MAX_DAYS } from "./schemas";

// The CSV export of the trail: RFC 4180 (CRLF, every text field quoted), safe to open in a spreadsheet
// whatever separator it splits on.

export const CSV_HEADER = ["time_utc", "token", "token_id", "tool", "outcome", "duration_ms", "client_ip", "user_agent", "summary", "error", "client_name", "client_version"];

const DAY_MS = 24 * 60 * 60 * 1000;
const day = z.iso.date({ error: "Give dates as YYYY-MM-DD." });

/** `from` and `to` are whole UTC days, both included. */
export const exportPeriodSchema = z
  .object({ from: day, to: day })
  .transform(({ from, to }) => ({ from: new Date(`${from}T00:00:00Z`), to: new Date(new Date(`${to}T00:00:00Z`).getTime() + DAY_MS) }))
  .refine(({ from, to }) => from < to, "The period ends before it starts.")
  .refine(({ from, to }) => to.getTime() - from.getTime() <= EXPORT_MAX_DAYS * DAY_MS, `Choose a period of at most ${EXPORT_MAX_DAYS} days.`);

/** The header line: our own column names, plain. */
export const CSV_HEADER_LINE = `${CSV_HEADER.join(",")}\r\n`;

export function csvRow(fields: (string | number | null)[]): string {
  return `${fields.map(csvField).join(",")}\r\n`;
}

export function activityCsvRow(entry: ActivityEntry): string {
  return csvRow([
    entry.at.toISOString(),
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
