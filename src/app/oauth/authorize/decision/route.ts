import { getCurrentSession } from "~/server/auth/current-session";
import { hasSudo, scopesNeedSudo } from "~/server/auth/sudo";
import { notifySecurityEvent, requestOrigin } from "~/server/email/security-mail";
import { approveAuthorization, denyAuthorization } from "~/server/oauth/authorization";
import { authorizationParameters, CONSENT_ERROR_PARAM, CONSENT_FIELDS, validateAuthorization } from "~/server/oauth/consent";
import { OAuthError, oauthRoute } from "~/server/oauth/http";

export const dynamic = "force-dynamic";

/**
 * The consent form's answer. proxy.ts has already applied the app's Origin rule (a cross-site form cannot
 * answer for the user). Every parameter is validated again from scratch: the form is only the user's browser
 * repeating the request, and may have been tampered with.
 */
export const POST = oauthRoute(
  "consent",
  async ({ request, form: readForm, withDatabase }) => {
    const form = await readForm({ anyContentType: true });
    const params = authorizationParameters(form);
    const consentPage = `/oauth/authorize?${params.toString()}`;

    const validation = await validateAuthorization(params, request.headers);
    // A request that has gone bad since the page was shown: the page explains, or sends the client its error.
    if (!validation.ok) return seeOther(validation.display === "redirect" ? validation.location : consentPage);

    const { session, user } = await getCurrentSession();
    if (!session || !user) return seeOther(`/login?next=${encodeURIComponent(consentPage)}`);

    const decision = form.get(CONSENT_FIELDS.decision);
    if (decision === "deny") return seeOther(denyAuthorization(validation.request));
    if (decision !== "allow") throw new OAuthError(400, "invalid_request", "Choose Allow or Deny.");

    const granted = validation.request.scopes.filter((scope) => form.getAll(CONSENT_FIELDS.granted).includes(scope));
    if (granted.length === 0) return seeOther(`${consentPage}&${CONSENT_ERROR_PARAM}=no_scope`);
    // An app that can book is as strong as a token that can (sudo mode). The page asks for Confirm access
    // before Allow; a session whose check ran out in between is sent back to it, asked, with the choice kept.
    if (scopesNeedSudo(granted) && !hasSudo(session)) {
      const kept = granted.map((scope) => `&${CONSENT_FIELDS.granted}=${encodeURIComponent(scope)}`).join("");
      return seeOther(`${consentPage}&${CONSENT_ERROR_PARAM}=sudo${kept}`);
    }
    const { client } = validation.request;
    return seeOther(
      await withDatabase(async (db) => {
        const location = await approveAuthorization(db, user.id, validation.request, granted);
        void notifySecurityEvent(db, user.id, { kind: "app_connected", clientName: client.name, clientHost: client.verifiedHost, scopes: granted }, requestOrigin(request.headers));
        return location;
      }),
    );
  },
  "text",
);

/** 303: the browser follows with a GET, whatever the form's method. Location may be a private-use scheme (cursor://…). */
function seeOther(location: string): Response {
  return new Response(null, { status: 303, headers: { Location: location, "Cache-Control": "no-store" } });
}
