import { headers } from "next/headers";
import { ClientName, recognisedClient } from "~/components/oauth/client-name";
import { authorizationParameters, CONSENT_PATH, validateAuthorization } from "~/server/oauth/consent";

/**
 * On sign-in, sign-up and forgot-password reached from an authorization link (`next` is the consent page): which
 * app is asking, so the person knows why they are here. Nothing when `next` is anything else, or the request
 * would not be honoured (the consent page says why once they get there).
 */
export async function SignInContext({ next, action }: { next: string; action: string }) {
  const url = new URL(next, "http://carestral.invalid");
  if (url.pathname !== CONSENT_PATH) return null;
  const validation = await validateAuthorization(authorizationParameters(url.searchParams), await headers()).catch(() => null);
  if (!validation?.ok) return null;
  const { client } = validation.request;
  const recognised = recognisedClient(client.name, client.verifiedHost);
  return (
    <p className="lead">
      {action} to continue to{" "}
      <strong>
        <ClientName name={client.name} />
      </strong>
      {client.verifiedHost ? ` (${client.verifiedHost})` : recognised ? ` (${recognised}, a name it chose itself)` : " (a name the app chose itself)"}.
    </p>
  );
}
