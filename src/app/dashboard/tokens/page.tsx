import type { Metadata } from "next";
import { ConnectedApps } from "~/components/oauth/connected-apps";
import { TokensDashboard } from "~/components/tokens/tokens-dashboard";
import { env } from "~/env";
import { DEFAULT_TOKEN_EXPIRY_DAYS, TOKEN_EXPIRY_DAYS } from "~/server/tokens/schemas";
import { SCOPE_DESCRIPTIONS, TOKEN_SCOPES } from "~/server/tokens/scopes";

export const metadata: Metadata = { title: "API tokens" };

// The layout has already checked the session. The options come from the server's rules so the form
// offers exactly what the API accepts, and the snippets use the public URL the server is configured with.
export default function TokensPage() {
  return (
    <main className="page">
      <h1>API tokens</h1>
      <p className="lead">
        A personal access token lets an AI assistant (Claude Desktop, Claude Code, Cursor, VS Code…) use Carestral
        on your behalf over MCP, with only the scopes you grant. Revoke it at any time: the very next request is refused.
      </p>
      <TokensDashboard
        appUrl={env.APP_URL}
        scopes={TOKEN_SCOPES.map((scope) => ({ scope, description: SCOPE_DESCRIPTIONS[scope] }))}
        expiryDays={[...TOKEN_EXPIRY_DAYS]}
        defaultExpiryDays={DEFAULT_TOKEN_EXPIRY_DAYS}
      />
      <ConnectedApps />
    </main>
  );
}
