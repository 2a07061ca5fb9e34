import { dayIn } from "~/server/account/time-zone";

// A custom expiry date, as GitHub offers one (up to a year ahead): the person picks a calendar day, the
// server gets a whole number of days from now, so the token ends on that day at the time it was made,
// like the preset lifetimes ("30 days — expires 3 Jan 2027").

const DAY_MS = 24 * 60 * 60 * 1000;

/** Today as YYYY-MM-DD in the zone dates are shown in (the person's). */
export function todayDate(now: Date, timeZone: string): string {
  return dayIn(now, timeZone);
}

function dayNumber(date: string): number | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!match) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const time = Date.UTC(year, month - 1, day);
  // Refuses 2027-02-30 and the like, which Date.UTC would roll over.
  return new Date(time).getUTCDate() === day ? time / DAY_MS : null;
}

/** The first and last days a custom expiry may fall on: tomorrow, and the same day a year from today. */
export function customDateRange(now: Date, timeZone: string): { min: string; max: string } {
  const today = todayDate(now, timeZone);
  const start = (dayNumber(today) ?? 0) * DAY_MS;
  const min = new Date(start + DAY_MS).toISOString().slice(0, 10);
  const max = `${String(Number(today.slice(0, 4)) + 1)}${today.slice(4)}`;
  // 29 February has no twin next year: the 28th then.
  return { min, max: dayNumber(max) === null ? `${max.slice(0, 8)}28` : max };
}

/** Days from today to `date` (YYYY-MM-DD), or why that date cannot be a token's expiry. */
export function customExpiryDays(date: string, now: Date, timeZone: string): { days: number } | { error: string } {
  if (date === "") return { error: "Choose the date the token expires on." };
  const chosen = dayNumber(date);
  const { min, max } = customDateRange(now, timeZone);
  const first = dayNumber(min);
  const last = dayNumber(max);
  if (chosen === null || first === null || last === null) return { error: "Enter a date as YYYY-MM-DD." };
  if (chosen < first) return { error: "Choose a date after today." };
  if (chosen > last) return { error: "Choose a date within a year from today." };
  return { days: chosen - first + 1 };
}
