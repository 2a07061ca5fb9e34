// Ready-to-paste client setup for a new token. Pure, so the exact text is unit-tested.

export interface SetupSnippets {
  mcpUrl: string;
  /** claude_desktop_config.json entry: Claude Desktop speaks stdio, so mcp-remote bridges to HTTP. */
  claudeDesktop: string;
  claudeCode: string;
  /** .cursor/mcp.json (project) or ~/.cursor/mcp.json (everywhere). */
  cursor: string;
  /** .vscode/mcp.json. */
  vscode: string;
  curl: string;
}

export function setupSnippets(appUrl: string, token: string): SetupSnippets {
  const mcpUrl = `${appUrl}/api/mcp`;
  // -y: Claude Desktop starts npx from a folder without mcp-remote installed, and npm 11 then stops with
  // "npx canceled due to missing packages" instead of asking.
  const args = ["-y", "mcp-remote", mcpUrl];
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
  const authorization = { Authorization: `Bearer ${token}` };
  const cursor = JSON.stringify({ mcpServers: { carestral: { url: mcpUrl, headers: authorization } } }, null, 2);
  const vscode = JSON.stringify({ servers: { carestral: { type: "http", url: mcpUrl, headers: authorization } } }, null, 2);
  const curl = [
    `curl ${mcpUrl} \\`,
    `  -H "Authorization: Bearer ${token}" \\`,
    `  -H "Content-Type: application/json" \\`,
    `  -H "Accept: application/json, text/event-stream" \\`,
    `  -d '{"jsonrpc":"2.0","id":1,"method":"tools/list"}'`,
  ].join("\n");
  return { mcpUrl, claudeDesktop, claudeCode, cursor, vscode, curl };
}

function needsAllowHttp(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  if (protocol !== "http:") return false;
  return !(hostname === "localhost" || hostname === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(hostname));
}
