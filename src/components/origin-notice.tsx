import { headers } from "next/headers";
import { env } from "~/env";
import { foreignRequestOrigin } from "~/server/http/request-origin";

/** Says so when the page was opened at an address other than APP_URL: sign-in would be refused from here. */
export async function OriginNotice() {
  const origin = foreignRequestOrigin(await headers());
  if (!origin) return null;
  return (
    <aside className="site-notice" aria-label="Wrong address">
      <p className="warning">
        You opened Carestral at <code>{origin}</code>, but it is configured for <code>{env.APP_URL}</code>. Signing in and
        other changes are refused from this address. Open <a href={env.APP_URL}>{env.APP_URL}</a> instead, or set{" "}
        <code>APP_URL</code> to the address people use.
      </p>
    </aside>
  );
}
