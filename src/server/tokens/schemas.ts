import { z } from "zod";
import { freeText, isPrintableLine } from "~/server/text";
import { tokenScopeSchema, type TokenScope } from "./scopes";

// Input rules for tokens, shared by the tRPC router and the token service. DESIGN: Tokens.

/** The lifetimes offered, in days; a custom date and `null` (never) are allowed too. */
export const TOKEN_EXPIRY_DAYS = [7, 30, 60, 90, 365] as const;
export type TokenExpiryDays = (typeof TOKEN_EXPIRY_DAYS)[number];
export const DEFAULT_TOKEN_EXPIRY_DAYS: TokenExpiryDays = 30;

/** Active (not revoked, not expired) tokens one person may hold at once. */
export const MAX_ACTIVE_TOKENS = 50;
export const TOKEN_NAME_MAX_LENGTH = 64;

export const tokenNameSchema = z
  .string({ error: "Give the token a name." })
  .trim()
  // NFC: "Café" typed with a composed or a decomposed é is one name (and one name taken).
  .normalize("NFC")
  .min(1, "Give the token a name.")
  .refine((name) => [...name].length <= TOKEN_NAME_MAX_LENGTH, `Use at most ${TOKEN_NAME_MAX_LENGTH} characters.`)
  .refine(isPrintableLine, "Use printable characters only.");

export const tokenScopesSchema = z
  .array(tokenScopeSchema, { error: "Choose at least one scope." })
  .min(1, "Choose at least one scope.")
  .transform((scopes): TokenScope[] => [...new Set(scopes)]);

/** A custom date goes up to a year ahead (GitHub's limit): 366 days when a 29 February falls in between. */
/** Owners are mailed this many days before a personal token expires (expiry-notices.ts). */
export const EXPIRY_WARNING_DAYS = 7;
export const MAX_TOKEN_EXPIRY_DAYS = 366;
const EXPIRY_MESSAGE = "Choose an expiration from 1 day to a year from now, or never.";

/** The presets or a custom date's days from now; `null` = never. */
export const tokenExpiresInDaysSchema = z
  .int({ error: EXPIRY_MESSAGE })
  .min(1, EXPIRY_MESSAGE)
  .max(MAX_TOKEN_EXPIRY_DAYS, EXPIRY_MESSAGE)
  .nullable();

export const generateTokenInputSchema = z.object({
  name: tokenNameSchema,
  scopes: tokenScopesSchema,
  /** `null` = never expires; left out = the default (30 days). */
  expiresInDays: tokenExpiresInDaysSchema.default(DEFAULT_TOKEN_EXPIRY_DAYS),
});
export type GenerateTokenInput = z.infer<typeof generateTokenInputSchema>;

export const tokenIdSchema = z.uuid({ error: "Not a valid token id." });

export const TOKEN_DESCRIPTION_MAX_LENGTH = 500;

/** Optional; blank clears it. */
export const tokenDescriptionSchema = freeText()
  .max(TOKEN_DESCRIPTION_MAX_LENGTH, `Use at most ${TOKEN_DESCRIPTION_MAX_LENGTH} characters.`)
  .transform((text) => (text === "" ? null : text));

/** How long the old secret keeps working after Regenerate (Stripe's "roll key"); "none" = it stops at once. */
export const REGENERATE_OVERLAPS = {
  none: { hours: 0, label: "Stops now" },
  "1h": { hours: 1, label: "1 hour" },
  "1d": { hours: 24, label: "1 day" },
  "7d": { hours: 168, label: "7 days" },
} as const;
export type RegenerateOverlap = keyof typeof REGENERATE_OVERLAPS;

export const regenerateOverlapSchema = z
  .enum(Object.keys(REGENERATE_OVERLAPS) as [RegenerateOverlap, ...RegenerateOverlap[]], {
    error: "Choose how long the old secret keeps working: now, 1 hour, 1 day or 7 days.",
  })
  .default("none");
