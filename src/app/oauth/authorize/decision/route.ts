import { getCurrentSession } from "~/server/auth/current-session";
import { getDb, isDatabaseUnavailable, withDatabaseDeadline } from "~/server/db";
import { describeError } from "~/server/describe-error";
import { approveAuthorization, denyAuthorization } from "~/server/oauth/authorization";
import { authorizationParameters, CONSENT_ERROR_PARAM, CONSENT_FIELDS, validateAuthorization } from "~/server/oauth/consent";
import { readBodyWithinLimit } from "~/server/http/body-limit";

export const dynamic = "force-dynamic";

/**
 * The consent form's answer. proxy.ts has already applied the app's Origin rule (a cross-site form cannot
 * answer for the user). Every parameter is validated again from scratch: the form is only the user's browser
 * repeating the request, and may have been tampered with.
 */
export async function POST(request: Request): Promise<Response> {
  const body = await readBodyWithinLimit(request, 16 * 1024).catch(() => "too-large" as const);
  if (body === "too-large") return plainError(413, "The form is too large.");
  const form = new URLSearchParams(new TextDecoder().decode(body));
  const params = authorizationParameters(form);
  const consentPage = `/oauth/authorize?${params.toString()}`;

  try {
    const validation = await validateAuthorization(params, request.headers);
    // A request that has gone bad since the page was shown: the page explains, or sends the client its error.
    if (!validation.ok) return seeOther(validation.display === "redirect" ? validation.location : consentPage);

    const { user } = await getCurrentSession();
    if (!user) return seeOther(`/login?next=${encodeURIComponent(consentPage)}`);

    const decision = form.get(CONSENT_FIELDS.decision);
    if (decision === "deny") return seeOther(denyAuthorization(validation.request));
    if (decision !== "allow") return plainError(400, "Choose Allow or Deny.");

    const granted = validation.request.scopes.filter((scope) => form.getAll(CONSENT_FIELDS.granted).includes(scope));
    if (granted.length === 0) return seeOther(`${consentPage}&${CONSENT_ERROR_PARAM}=no_scope`);
    const location = await withDatabaseDeadline((async () => approveAuthorization(await getDb(), user.id, validation.request, granted))());
    return seeOther(location);
  } catch (error) {
    if (isDatabaseUnavailable(error)) return plainError(503, "The database is unavailable. Go back and try again in a moment.");
    console.error(`OAuth consent failed: ${describeError(error)}`);
    return plainError(500, "Something went wrong on our side. Go back and try again.");
  }
}

/** 303: the browser follows with a GET, whatever the form's method. Location may be a private-use scheme (cursor://…). */
function seeOther(location: string): Response {
  return new Response(null, { status: 303, headers: { Location: location, "Cache-Control": "no-store" } });
}

function plainError(status: number, message: string): Response {
  return new Response(message, { status, headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" } });
}
