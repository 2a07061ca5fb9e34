import { ACTIVITY_TOOL_MAX_LENGTH, ACTIVITY_TOOLS } from "./schemas";

// What the trail stores is text a client chose (tool names, User-Agent, clientInfo, error messages that echo
// them). PostgreSQL refuses a NUL or a lone surrogate, and one such value used to fail the whole batch, every
// person's calls with it (issue 19, item 1). So every recorded text goes through storableLine(), and a tool
// or method name is stored only when it is one we know.

// Control characters and line or paragraph separators become a space; surrogates (a lone one cannot be
// stored), private use, unassigned code points and invisible format characters (bidi overrides) become U+FFFD,
// so that what a person reads in the trail is what was sent, visibly.
const BREAKS = /[\p{Cc}\p{Zl}\p{Zp}]+/gu;
const UNREADABLE = /[\p{Cs}\p{Co}\p{Cn}]|(?!\u200d)\p{Cf}/gu;

/** One line of visible, well-formed text without NUL, at most `max` code points (cut with "…"), or null when empty. */
export function storableLine(value: string | null | undefined, max: number): string | null {
  if (!value) return null;
  const line = value.replace(BREAKS, " ").replace(UNREADABLE, "\uFFFD").trim();
  if (!line) return null;
  const codePoints = Array.from(line);
  return codePoints.length > max ? `${codePoints.slice(0, max - 1).join("")}…` : line;
}

/**
 * Every name stored as itself: our tools, the protocol methods a client may call, and the names other parts of
 * the server record. Anything else is stored as "unknown" with an excerpt in the summary.
 */
export const RECORDED_NAMES: ReadonlySet<string> = new Set<string>([
  ...ACTIVITY_TOOLS,
  "resources/list",
  "resources/read",
  "resources/templates/list",
  "resources/subscribe",
  "resources/unsubscribe",
  "prompts/list",
  "prompts/get",
  "logging/setLevel",
  "completion/complete",
  "tasks/get",
  "tasks/list",
  "tasks/result",
  "tasks/cancel",
  "introspection",
]);

export const UNKNOWN_NAME = "unknown";
const EXCERPT_MAX_LENGTH = 40;

/** The name a call is recorded under, and for a name we do not know, a summary quoting a safe excerpt of it. */
export function recordedName(name: string, isTool: boolean): { tool: string; summary: string | null } {
  if (RECORDED_NAMES.has(name) && name.length <= ACTIVITY_TOOL_MAX_LENGTH) return { tool: name, summary: null };
  const excerpt = storableLine(name, EXCERPT_MAX_LENGTH) ?? "";
  return { tool: UNKNOWN_NAME, summary: `Unknown ${isTool ? "tool" : "method"} “${excerpt}”` };
}
