import { z } from "zod";
import type { ActivityEntry } from "./queries";
import { EXPORT_MAX_DAYS } from "./schemas";

// The CSV export of the trail: RFC 4180 (CRLF, quoted fields), safe to open in a spreadsheet.

export const CSV_HEADER = ["time_utc", "token", "token_id", "tool", "outcome", "duration_ms", "client_ip", "user_agent", "summary", "error", "client_name", "client_version"];

const DAY_MS = 24 * 60 * 60 * 1000;
const day = z.iso.date({ error: "Give dates as YYYY-MM-DD." });

/** `from` and `to` are whole UTC days, both included. */
export const exportPeriodSchema = z
  .object({ from: day, to: day })
  .transform(({ from, to }) => ({ from: new Date(`${from}T00:00:00Z`), to: new Date(new Date(`${to}T00:00:00Z`).getTime() + DAY_MS) }))
  .refine(({ from, to }) => from < to, "The period ends before it starts.")
  .refine(({ from, to }) => to.getTime() - from.getTime() <= EXPORT_MAX_DAYS * DAY_MS, `Choose a period of at most ${EXPORT_MAX_DAYS} days.`);

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
  let text = String(value);
  // A cell starting with = + - @ (or a tab or CR) is a formula to a spreadsheet: a token name or a user
  // agent must not run as one (OWASP "CSV injection").
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replaceAll('"', '""')}"` : text;
}
