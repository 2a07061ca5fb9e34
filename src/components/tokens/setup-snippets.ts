// Ready-to-paste client setup for a new token. Pure, so the exact text is unit-tested.
//
// The token stays out of files people commit and out of shell history: VS Code asks for it once
// (`${input:…}`, a password prompt kept in its secret storage), Cursor and Claude Code read it from an
// environment variable, and the one-click Cursor link writes it to the person's own ~/.cursor/mcp.json.
// Only Claude Desktop, which expands no variables, holds it in its per-user config file.

/** The environment variable that Claude Code, Cursor's project file and curl read the token from. */
export const TOKEN_ENV_VAR = "CARESTRAL_TOKEN";
/** The id of VS Code's password prompt (`${input:carestral-token}`). */
export const VSCODE_INPUT_ID = "carestral-token";
export const SERVER_NAME = "carestral";

export interface SetupSnippets {
  mcpUrl: string;
  /** The `"carestral": {…}` entry to merge into `mcpServers` of claude_desktop_config.json (mcp-remote bridges stdio to HTTP). */
  claudeDesktop: string;
  /** Reads the token into CARESTRAL_TOKEN without echo, then adds the server with a reference to the variable. */
  claudeCode: string;
  /** .cursor/mcp.json, the header read from CARESTRAL_TOKEN. */
  cursor: string;
  /** cursor://…/mcp/install: adds the server, token included, to the person's own Cursor settings. */
  cursorInstallUrl: string;
  /** .vscode/mcp.json with a password prompt for the token. */
  vscode: string;
  /** vscode:mcp/install: the same server and prompt, in one click. */
  vscodeInstallUrl: string;
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
  const claudeDesktop = jsonEntry(SERVER_NAME, { command: "npx", args, env: { AUTH_HEADER: `Bearer ${token}` } });

  // read -rs: the token is typed or pasted, never echoed, never in history. Single quotes keep
  // ${CARESTRAL_TOKEN} literal in Claude Code's config, which expands it each time it starts the server.
  const readToken = `read -rs ${TOKEN_ENV_VAR} && export ${TOKEN_ENV_VAR}`;
  const claudeCode = [
    readToken,
    `claude mcp add --transport http ${SERVER_NAME} ${mcpUrl} --header 'Authorization: Bearer \${${TOKEN_ENV_VAR}}'`,
  ].join("\n");

  // Cursor interpolates ${env:NAME} in url and headers.
  const cursor = JSON.stringify(
    { mcpServers: { [SERVER_NAME]: { url: mcpUrl, headers: { Authorization: `Bearer \${env:${TOKEN_ENV_VAR}}` } } } },
    null,
    2,
  );
  // docs cursor.com/docs/mcp/install-links: name, and the server's mcp.json entry as base64 JSON.
  const cursorConfig = btoa(JSON.stringify({ url: mcpUrl, headers: { Authorization: `Bearer ${token}` } }));
  const cursorInstallUrl = `cursor://anysphere.cursor-deeplink/mcp/install?name=${SERVER_NAME}&config=${encodeURIComponent(cursorConfig)}`;

  const vscodeInput = { type: "promptString", id: VSCODE_INPUT_ID, description: "Carestral token (mcp_…)", password: true };
  const vscodeServer = { type: "http", url: mcpUrl, headers: { Authorization: `Bearer \${input:${VSCODE_INPUT_ID}}` } };
  const vscode = JSON.stringify({ inputs: [vscodeInput], servers: { [SERVER_NAME]: vscodeServer } }, null, 2);
  // code.visualstudio.com MCP developer guide, "MCP URL handler": the object `code --add-mcp` takes.
  const vscodeInstallUrl = `vscode:mcp/install?${encodeURIComponent(JSON.stringify({ name: SERVER_NAME, ...vscodeServer, inputs: [vscodeInput] }))}`;

  const curl = [
    readToken,
    `curl ${mcpUrl} \\`,
    `  -H "Authorization: Bearer $${TOKEN_ENV_VAR}" \\`,
    `  -H "Content-Type: application/json" \\`,
    `  -H "Accept: application/json, text/event-stream" \\`,
    `  -d '{"jsonrpc":"2.0","id":1,"method":"tools/list"}'`,
  ].join("\n");
  return { mcpUrl, claudeDesktop, claudeCode, cursor, cursorInstallUrl, vscode, vscodeInstallUrl, curl };
}

/** `"name": {…}` as it sits inside an object: the text to paste between a config's existing entries. */
function jsonEntry(name: string, value: unknown): string {
  const indented = JSON.stringify(value, null, 2);
  return `${JSON.stringify(name)}: ${indented}`;
}

function needsAllowHttp(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  if (protocol !== "http:") return false;
  return !(hostname === "localhost" || hostname === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(hostname));
}
