import { NextResponse } from "next/server";
import { env } from "~/env";
import { getAuthDb, isDatabaseUnavailable, withDatabaseDeadline } from "~/server/db";
import { describeError } from "~/server/describe-error";
import { readBodyWithinLimit } from "~/server/http/body-limit";
import { candidateKeys, signatureMatches } from "~/server/token-leaks/keys";
import { notifyOwners, parseLeakReport, revokeReportedTokens } from "~/server/token-leaks/reports";
import { log } from "~/server/observability/logger";

export const dynamic = "force-dynamic";

/** A report of a few matches is a few kilobytes; a thousand of them stays well inside this. */
const MAX_REPORT_BYTES = 1024 * 1024;

function refuse(status: number, message: string, headers: Record<string, string> = {}): Response {
  return NextResponse.json({ error: message }, { status, headers: { "Cache-Control": "no-store", ...headers } });
}

/**
 * Leaked-token reports from GitHub's secret scanning partner program: a signed JSON array of found tokens. Each
 * one still working is revoked as "found public" and its owner mailed; the answer labels each token. 404 when
 * SECRET_SCANNING_KEYS is not set; 401, revoking nothing, when the signature does not check out.
 */
export async function POST(request: Request): Promise<Response> {
  if (env.SECRET_SCANNING_KEYS.kind === "none") return refuse(404, "Leaked-token reports are not enabled on this server.");
  const identifier = request.headers.get("github-public-key-identifier")?.trim();
  const signature = request.headers.get("github-public-key-signature")?.trim();
  if (!identifier || !signature) return refuse(401, "The report must be signed (Github-Public-Key-Identifier and Github-Public-Key-Signature).");

  let body: Awaited<ReturnType<typeof readBodyWithinLimit>>;
  try {
    body = await readBodyWithinLimit(request, MAX_REPORT_BYTES);
  } catch {
    return refuse(400, "The request body could not be read.");
  }
  if (body === "too-large") return refuse(413, "The report is larger than 1 MiB.");

  let keys: Awaited<ReturnType<typeof candidateKeys>>;
  try {
    keys = await candidateKeys(identifier.slice(0, 200));
  } catch (error) {
    log.error(`Token leak report: the signing keys could not be read: ${describeError(error)}`);
    return refuse(503, "The signing keys could not be read. Try again shortly.", { "Retry-After": "30" });
  }
  // The signature is checked over the raw bytes, before anything in them is believed.
  if (!signatureMatches(body, signature, keys)) return refuse(401, "The report's signature does not match a known key.");

  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body));
  } catch {
    return refuse(400, "The body is not JSON.");
  }
  const parsed = parseLeakReport(value);
  if (!parsed.ok) return refuse(400, parsed.message);

  try {
    const db = await withDatabaseDeadline(getAuthDb());
    const { outcomes, revoked } = await withDatabaseDeadline(revokeReportedTokens(db, parsed.report));
    // Outside the database deadline: a slow mail server must not turn a done revocation into an error.
    await notifyOwners(db, revoked);
    return NextResponse.json(outcomes, { headers: { "Cache-Control": "no-store" } });
  } catch (error) {
    if (isDatabaseUnavailable(error)) return refuse(503, "The database is unavailable. Try again shortly.", { "Retry-After": "5" });
    log.error(`Token leak report failed: ${describeError(error)}`);
    return refuse(500, "Something went wrong on our side. Try again in a moment.");
  }
}
