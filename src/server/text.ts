import { z } from "zod";

// The one rule for text people type: names, notes, searches, ids. PostgreSQL text cannot hold NUL (it
// fails the whole statement), and no other control character belongs in it. Invisible characters make
// text read differently from what it is (a bidi override can reverse "exe.txt"), so they are refused too,
// except the zero-width joiner inside an emoji sequence (👩‍💻). Text is stored in NFC, so an accent typed
// composed (é) or decomposed (e + ◌́) is the same text.

// Control characters, surrogates, private use, unassigned, line and paragraph separators.
const UNPRINTABLE = /[\p{Cc}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}]/u;
const UNPRINTABLE_BUT_LINE_BREAKS = /(?![\t\n\r])[\p{Cc}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}]/u;
// Format characters (bidi controls, zero-width spaces, soft hyphen …), the joiner excepted…
const INVISIBLE_FORMAT = /(?!\u200d)\p{Cf}/u;
// …which may only join two emoji (after an optional skin tone or emoji presentation selector).
const STRAY_JOINER = /(?<!\p{Extended_Pictographic}[\p{Emoji_Modifier}\uFE0F]?)\u200d|\u200d(?!\p{Extended_Pictographic})/u;

/** True when `value` holds only visible characters on one line (spaces allowed). */
export function isPrintableLine(value: string): boolean {
  return !UNPRINTABLE.test(value) && !INVISIBLE_FORMAT.test(value) && !STRAY_JOINER.test(value);
}

/** Like isPrintableLine, but tabs and line breaks are fine. */
export function isPrintableText(value: string): boolean {
  return !UNPRINTABLE_BUT_LINE_BREAKS.test(value) && !INVISIBLE_FORMAT.test(value) && !STRAY_JOINER.test(value);
}

/** Trimmed, NFC text on one line of visible characters. Chain .min()/.max() as with z.string(). */
export function lineOfText(message = "Use printable characters only.") {
  return z.string().trim().normalize("NFC").refine(isPrintableLine, message);
}

/** Trimmed, NFC free text that may span lines, without invisible or control characters. */
export function freeText(message = "Use printable characters only (line breaks are fine).") {
  return z.string().trim().normalize("NFC").refine(isPrintableText, message);
}
