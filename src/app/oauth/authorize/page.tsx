import type { Metadata } from "next";
import Link from "next/link";
import { notFound, redirect } from "next/navigation";
import authStyles from "~/components/auth/auth.module.css";
import { ClientName, recognisedClient } from "~/components/oauth/client-name";
import { ConsentDecision } from "~/components/oauth/consent-decision";
import { SwitchAccountButton } from "~/components/oauth/switch-account-button";
import { getCurrentSession } from "~/server/auth/current-session";
import { SUDO_SCOPES, sudoRemainingMs } from "~/server/auth/sudo";
import { redirectUriDisplay, redirectUriKind } from "~/server/oauth/redirect-uri";
import { authorizationParameters, CONSENT_ERROR_PARAM, CONSENT_FIELDS, consentPageQuery, validateConsentPageRequest } from "~/server/oauth/consent";
import { REFRESH_TOKEN_TTL_DAYS } from "~/server/oauth/metadata";
import { SCOPE_DESCRIPTIONS } from "~/server/tokens/scopes";
import styles from "./consent.module.css";

export const metadata: Metadata = { title: "Authorize an application" };
export const dynamic = "force-dynamic";

/**
 * The authorization endpoint (OAuth 2.1 §4.1.1) as a page: it checks the request, sends a signed-out visitor to
 * sign in and back, and asks the user whether this application may act for them.
 */
export default async function AuthorizePage() {
  const query = new URLSearchParams(await consentPageQuery());
  const params = authorizationParameters(query);
  const validation = await validateConsentPageRequest(params.toString());
  // Any refusal is shown on our own page, with a 4xx (not-found.tsx says why): never sent to a redirect URI
  // the person has not yet seen a consent page for.
  if (!validation.ok) notFound();

  const { session, user } = await getCurrentSession();
  if (!session || !user) redirect(`/login?next=${encodeURIComponent(`/oauth/authorize?${params.toString()}`)}`);

  const { client, redirectUri, scopes } = validation.request;
  const loopback = redirectUriKind(redirectUri) === "loopback";
  const noScopeChosen = query.get(CONSENT_ERROR_PARAM) === "no_scope";
  // Sent back by the decision route: Allow needed Confirm access after all. The choices made are kept.
  const sudoNeeded = query.get(CONSENT_ERROR_PARAM) === "sudo";
  const keptChoice = sudoNeeded ? query.getAll(CONSENT_FIELDS.granted) : null;
  const recognised = recognisedClient(client.name, client.verifiedHost);
  return (
    <>
      <header className="site-header">
        <Link href="/" className={authStyles.brand}>
          Carestral
        </Link>
        <div className={authStyles.account}>
          <span>
            Signed in as <strong>{`${user.firstname} ${user.surname}`}</strong> <span className="muted">({user.email})</span>
          </span>
          <SwitchAccountButton returnTo={`/oauth/authorize?${params.toString()}`} />
        </div>
      </header>
      <main id="main" tabIndex={-1} className="page narrow">
        <h1>
          Authorize <ClientName name={client.name} />
        </h1>
        <div className="card">
          {client.verifiedHost ? (
            <p>
              <strong className={styles.host}>{client.verifiedHost}</strong> wants to connect to your Carestral account as{" "}
              <strong>
                <ClientName name={client.name} />
              </strong>
              .
            </p>
          ) : (
            <>
              <p>
                An application calling itself{" "}
                <strong>
                  <ClientName name={client.name} />
                </strong>{" "}
                wants to connect to your Carestral account.
                {recognised && ` That is the name ${recognised} gives itself.`}
              </p>
              <p className="warning">Unverified: the application chose this name itself.</p>
            </>
          )}
          <p>
            After you answer, you will be sent back to <strong className={styles.host}>{redirectUriDisplay(redirectUri)}</strong>
            {loopback ? " (an application on this computer)" : ""}.
          </p>
        </div>
        <form method="post" action="/oauth/authorize/decision" className="stack">
          {[...params.entries()].map(([name, value], index) => (
            <input key={`${name}-${index}`} type="hidden" name={name} value={value} />
          ))}
          <fieldset className={styles.scopes} aria-describedby={noScopeChosen ? "scope-error" : undefined}>
            <legend>It may</legend>
            {scopes.map((scope) => (
              <label key={scope} className="checkbox">
                <input type="checkbox" name={CONSENT_FIELDS.granted} value={scope} defaultChecked={keptChoice ? keptChoice.includes(scope) : true} />
                <span>
                  {SCOPE_DESCRIPTIONS[scope]} <code className="muted">{scope}</code>
                </span>
              </label>
            ))}
            {noScopeChosen && (
              <p id="scope-error" role="alert" className="field-error">
                Choose at least one permission, or Deny.
              </p>
            )}
          </fieldset>
          <p>
            Access lasts until you revoke it: the app renews it by itself while you use it, and loses it after {REFRESH_TOKEN_TTL_DAYS} days
            without use. Revoke it at any time under Connected apps on your API tokens page.
          </p>
          {sudoNeeded && (
            <p role="alert" className="form-error">
              Allowing <code>write:bookings</code> needs you to confirm it is you again: choose Allow to confirm access.
            </p>
          )}
          <ConsentDecision sudoRemainingMs={sudoRemainingMs(session)} sudoScopes={[...SUDO_SCOPES]} fields={CONSENT_FIELDS} />
        </form>
      </main>
    </>
  );
}
