import { z } from "zod";
import { lineOfText } from "~/server/text";

// The one client-metadata model: the rules a client's self-description follows whether it arrives as a
// registration (RFC 7591 DCR) or as a metadata document (CIMD). Redirect URIs follow ../redirect-uri.ts.

/** A registration body and a metadata document alike; real ones are under 1 KiB (workers-oauth-provider: 5 KB). */
export const MAX_CLIENT_METADATA_BYTES = 5 * 1024;
export const MAX_CLIENT_NAME_LENGTH = 100;
export const MAX_URI_LENGTH = 2048;
/** Addresses shown or linked to people (a home page, a logo, terms, a privacy policy). */
export const HTTPS_URI_FIELDS = ["client_uri", "logo_uri", "tos_uri", "policy_uri"] as const;

/**
 * The project's printable-line rule, length-capped: a bidi override (U+202E) would reverse the consent page's
 * sentence, and a control character could disguise the name. Trimmed and NFC-normalised.
 */
export const clientNameSchema = lineOfText("client_name must be one line of printable characters").pipe(
  z.string().min(1).max(MAX_CLIENT_NAME_LENGTH, `client_name may be at most ${MAX_CLIENT_NAME_LENGTH} characters`),
);

/** The name a document or registration gives, trimmed; null when blank. Refused (false) when it breaks the rule. */
export function readClientName(value: string): string | null | false {
  const trimmed = value.trim();
  if (trimmed === "") return null;
  const parsed = clientNameSchema.safeParse(trimmed);
  return parsed.success ? parsed.data : false;
}

/** An absolute https URL without credentials, whitespace, control characters or backslashes. */
export function isHttpsUri(value: string): boolean {
  if (value.length > MAX_URI_LENGTH || /[\s\u0000-\u001f\u007f\\]/.test(value)) return false;
  try {
    const uri = new URL(value);
    return uri.protocol === "https:" && uri.hostname !== "" && uri.username === "" && uri.password === "";
  } catch {
    return false;
  }
}

export const httpsUriSchema = z.string().refine(isHttpsUri, "must be an absolute https URL, without credentials or spaces");
