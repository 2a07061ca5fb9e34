import type { Metadata } from "next";
import { LegacyJwtNotice } from "~/components/legacy-jwt/legacy-jwt-notice";
import { ConnectedApps } from "~/components/oauth/connected-apps";
import { TimeZoneNote } from "~/components/time-zone";
import { McpServerUrl } from "~/components/tokens/mcp-server-url";
import { TokensDashboard } from "~/components/tokens/tokens-dashboard";
import { env } from "~/env";
import { DEFAULT_TOKEN_EXPIRY_DAYS, MAX_ACTIVE_TOKENS, TOKEN_EXPIRY_DAYS } from "~/server/tokens/schemas";
import { SCOPE_DESCRIPTIONS, TOKEN_SCOPES } from "~/server/tokens/scopes";
import { api, HydrateClient } from "~/trpc/server";

export const metadata: Metadata = { title: "API tokens" };

// The layout has already checked the session. The options come from the server's rules so the form
// offers exactly what the API accepts, and the snippets use the public URL the server is configured with.
// The page is a column of self-contained sections; each prefetches what it shows before rendering.
export default async function TokensPage() {
  // Awaited so that the first HTML holds the table. A failure is not thrown here: the section then
  // fetches in the browser and says what went wrong.
  await Promise.all([api.tokens.list.prefetch(), api.connectedApps.list.prefetch(), api.legacyJwt.recentUse.prefetch()]);
  return (
    <HydrateClient>
      <main id="main" tabIndex={-1} className="page">
        <h1>API tokens</h1>
        <p className="lead">
          A personal access token lets an AI assistant (Claude Desktop, Claude Code, Cursor, VS Code…) use Carestral on
          your behalf over MCP, with only the scopes you grant. Revoke it at any time: the very next request is refused.
        </p>
        <TimeZoneNote />
        <LegacyJwtNotice appUrl={env.APP_URL} />
        <TokensDashboard
          appUrl={env.APP_URL}
          scopes={TOKEN_SCOPES.map((scope) => ({ scope, description: SCOPE_DESCRIPTIONS[scope] }))}
          expiryDays={[...TOKEN_EXPIRY_DAYS]}
          defaultExpiryDays={DEFAULT_TOKEN_EXPIRY_DAYS}
          maxActiveTokens={MAX_ACTIVE_TOKENS}
        />
        {/* After the list (which leads, DESIGN), before Connected apps, whose empty state points "above" to it. */}
        <McpServerUrl appUrl={env.APP_URL} />
        <ConnectedApps />
      </main>
    </HydrateClient>
  );
}
