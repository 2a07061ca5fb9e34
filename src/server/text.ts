import { z } from "zod";

// PostgreSQL text cannot hold NUL (it fails the whole statement), and no other control character belongs
// in a name, a city, an id or a search. Notes keep their line breaks and tabs.
const CONTROL_CHARACTER = /\p{Cc}/u;
const CONTROL_CHARACTER_BUT_WHITESPACE = /(?![\t\n\r])\p{Cc}/u;

/** Trimmed text on one line, without control characters. Chain .min()/.max() as with z.string(). */
export function lineOfText(message = "Use printable characters only.") {
  return z
    .string()
    .trim()
    .refine((value) => !CONTROL_CHARACTER.test(value), message);
}

/** Trimmed free text that may span lines, without other control characters. */
export function freeText(message = "Use printable characters only (line breaks are fine).") {
  return z
    .string()
    .trim()
    .refine((value) => !CONTROL_CHARACTER_BUT_WHITESPACE.test(value), message);
}
