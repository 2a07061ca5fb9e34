import Link from "next/link";
import { authorizationParameters, consentPageQuery, validateConsentPageRequest } from "~/server/oauth/consent";

/**
 * The consent page's refusals (page.tsx calls notFound()), so that they answer 404, not 200. The page's
 * validation is cached for the request, so this reads its result rather than checking (or fetching) again.
 */
export default async function AuthorizationRefused() {
  const validation = await validateConsentPageRequest(authorizationParameters(new URLSearchParams(await consentPageQuery())).toString());
  const description = validation.ok ? "This authorization request cannot be answered." : validation.description;
  return (
    <main id="main" tabIndex={-1} className="page narrow">
      <h1>This sign-in link cannot be used</h1>
      <p role="alert" className="error">
        {description}
      </p>
      <p>
        Nothing was shared. Go back to the application and connect again, or manage your connections on{" "}
        <Link href="/dashboard/tokens">API tokens</Link>.
      </p>
    </main>
  );
}
