"use client";

import { formatDate } from "~/components/format";
import { useTimeZone } from "~/components/time-zone";
import { customDateRange, customExpiryDays } from "./expiration";
import styles from "./tokens.module.css";

export const NEVER = "never";
export const CUSTOM = "custom";
const DAY_MS = 24 * 60 * 60 * 1000;

/** What the field holds: a preset's days, "custom" with a date, or "never". */
export interface ExpirationChoice {
  option: string;
  customDate: string;
}

/** The days from now the choice means (null = never), or the message to show by the field. */
export function expirationDays(choice: ExpirationChoice, now: Date, timeZone: string): { days: number | null } | { error: string } {
  if (choice.option === NEVER) return { days: null };
  if (choice.option === CUSTOM) return customExpiryDays(choice.customDate, now, timeZone);
  return { days: Number(choice.option) };
}

/**
 * The Expiration <select> (DESIGN: option values 7, 30, 60, 90, 365, never) with each preset's end date, plus a
 * custom date up to a year ahead. Shared by the New token form and a token's page.
 */
export function ExpirationField({
  id,
  label,
  expiryDays,
  defaultExpiryDays,
  choice,
  onChange,
  error,
  now,
}: {
  id: string;
  label: string;
  expiryDays: readonly number[];
  defaultExpiryDays?: number;
  choice: ExpirationChoice;
  onChange(choice: ExpirationChoice): void;
  error?: string;
  now: Date;
}) {
  const timeZone = useTimeZone();
  const { min, max } = customDateRange(now, timeZone);
  const custom = choice.option === CUSTOM;
  const errorId = `${id}-error`;
  const warningId = `${id}-warning`;
  const describedBy = [choice.option === NEVER ? warningId : null, error && !custom ? errorId : null].filter(Boolean).join(" ");
  return (
    <div>
      <label htmlFor={id}>{label}</label>
      <select
        id={id}
        name="expiration"
        value={choice.option}
        aria-invalid={error && !custom ? true : undefined}
        aria-describedby={describedBy || undefined}
        onChange={(event) => onChange({ ...choice, option: event.target.value })}
      >
        {expiryDays.map((days) => (
          <option key={days} value={String(days)}>
            {/* The real date, as GitHub shows it: "30 days — expires 3 Jan 2027". Only rendered in the browser. */}
            {days} days{days === defaultExpiryDays ? " (recommended)" : ""} — expires {formatDate(new Date(now.getTime() + days * DAY_MS), timeZone)}
          </option>
        ))}
        <option value={CUSTOM}>Custom date…</option>
        <option value={NEVER}>Never</option>
      </select>
      {custom && (
        <div className={styles.customDate}>
          <label htmlFor={`${id}-date`}>Expiration date</label>
          <input
            id={`${id}-date`}
            type="date"
            min={min}
            max={max}
            value={choice.customDate}
            aria-invalid={error ? true : undefined}
            aria-describedby={[`${id}-date-hint`, error ? errorId : null].filter(Boolean).join(" ")}
            onChange={(event) => onChange({ ...choice, customDate: event.target.value })}
          />
          <p id={`${id}-date-hint`} className="muted">
            Any day from tomorrow to {formatDate(new Date(`${max}T12:00:00Z`), "UTC")}.
          </p>
        </div>
      )}
      {choice.option === NEVER && (
        <p id={warningId} className="warning">
          A token that never expires works until you revoke it. If it leaks, it stays usable: prefer an expiration.
        </p>
      )}
      {error && (
        <p id={errorId} className="field-error">
          {error}
        </p>
      )}
    </div>
  );
}
