// Ready-to-paste client setup for a new token. Pure, so the exact text is unit-tested.

export interface SetupSnippets {
  mcpUrl: string;
  /** claude_desktop_config.json entry: Claude Desktop speaks stdio, so mcp-remote bridges to HTTP. */
  claudeDesktop: string;
  claudeCode: string;
  curl: string;
}

export function setupSnippets(appUrl: string, token: string): SetupSnippets {
  const mcpUrl = `${appUrl}/api/mcp`;
  const args = ["mcp-remote", mcpUrl];
  // mcp-remote refuses plain HTTP except on loopback unless told otherwise.
  if (needsAllowHttp(mcpUrl)) args.push("--allow-http");
  // The header goes through an environment variable: some clients split arguments on spaces, so
  // "Authorization: Bearer …" as one argument breaks (mcp-remote README).
  args.push("--header", "Authorization:${AUTH_HEADER}");
  const claudeDesktop = JSON.stringify(
    { mcpServers: { carestral: { command: "npx", args, env: { AUTH_HEADER: `Bearer ${token}` } } } },
    null,
    2,
  );
  const claudeCode = `claude mcp add --transport http carestral ${mcpUrl} --header "Authorization: Bearer ${token}"`;
  const curl = [
    `curl ${mcpUrl} \\`,
    `  -H "Authorization: Bearer ${token}" \\`,
    `  -H "Content-Type: application/json" \\`,
    `  -H "Accept: application/json, text/event-stream" \\`,
    `  -d '{"jsonrpc":"2.0","id":1,"method":"tools/list"}'`,
  ].join("\n");
  return { mcpUrl, claudeDesktop, claudeCode, curl };
}

function needsAllowHttp(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  if (protocol !== "http:") return false;
  return !(hostname === "localhost" || hostname === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(hostname));
}
