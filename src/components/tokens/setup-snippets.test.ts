import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { setupSnippets } from "./setup-snippets";

const TOKEN = "mcp_AbCd1234efGH5678ijKL9012mnOP3456qrST7890uvW3GOgf5";

/** A Claude Desktop config as people have it, with the entry pasted first into mcpServers. */
function pasteIntoDesktopConfig(entry: string): unknown {
  const existing = `{\n  "mcpServers": {\n    "filesystem": { "command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "/tmp"] }\n  },\n  "globalShortcut": ""\n}`;
  return JSON.parse(existing.replace(`"mcpServers": {\n`, `"mcpServers": {\n${entry},\n`));
}

/** Runs a shell snippet in bash with `claude` and `curl` replaced by a printer of their arguments, the token on stdin. */
function runShell(snippet: string): string[] {
  const stubs = `claude() { printf '%s\\n' "$@"; }\ncurl() { printf '%s\\n' "$@"; }\n`;
  const out = execFileSync("bash", ["--norc", "--noprofile", "-c", `${stubs}${snippet}`], {
    input: `${TOKEN}\n`,
    stdio: "pipe",
  });
  return out.toString().trimEnd().split("\n");
}

describe("setupSnippets", () => {
  it("gives Claude Desktop a carestral entry that merges into an existing config, the header through mcp-remote's env", () => {
    const { claudeDesktop, mcpUrl } = setupSnippets("https://carestral.example", TOKEN);
    expect(mcpUrl).toBe("https://carestral.example/api/mcp");
    expect(claudeDesktop.startsWith('"carestral": {')).toBe(true);
    expect(pasteIntoDesktopConfig(claudeDesktop)).toEqual({
      mcpServers: {
        carestral: {
          command: "npx",
          args: ["-y", "mcp-remote", "https://carestral.example/api/mcp", "--header", "Authorization:${AUTH_HEADER}"],
          env: { AUTH_HEADER: `Bearer ${TOKEN}` },
        },
        filesystem: { command: "npx", args: ["-y", "@modelcontextprotocol/server-filesystem", "/tmp"] },
      },
      globalShortcut: "",
    });
  });

  it("adds --allow-http for plain HTTP beyond loopback only", () => {
    const args = (appUrl: string) =>
      (pasteIntoDesktopConfig(setupSnippets(appUrl, TOKEN).claudeDesktop) as { mcpServers: { carestral: { args: string[] } } }).mcpServers
        .carestral.args;
    expect(args("http://localhost:3000")).not.toContain("--allow-http");
    expect(args("http://127.0.0.1:3000")).not.toContain("--allow-http");
    expect(args("http://carestral.internal:8080")).toEqual([
      "-y",
      "mcp-remote",
      "http://carestral.internal:8080/api/mcp",
      "--allow-http",
      "--header",
      "Authorization:${AUTH_HEADER}",
    ]);
  });

  it("keeps the token out of Cursor's and VS Code's project files: an environment variable and a password prompt", () => {
    const { cursor, vscode } = setupSnippets("http://localhost:3000", TOKEN);
    expect(cursor).not.toContain(TOKEN);
    expect(vscode).not.toContain(TOKEN);
    expect(JSON.parse(cursor)).toEqual({
      mcpServers: { carestral: { url: "http://localhost:3000/api/mcp", headers: { Authorization: "Bearer ${env:CARESTRAL_TOKEN}" } } },
    });
    expect(JSON.parse(vscode)).toEqual({
      inputs: [{ type: "promptString", id: "carestral-token", description: "Carestral token (mcp_…)", password: true }],
      servers: {
        carestral: { type: "http", url: "http://localhost:3000/api/mcp", headers: { Authorization: "Bearer ${input:carestral-token}" } },
      },
    });
  });

  it("links to VS Code's installer with the prompt, and to Cursor's with the token for the person's own settings", () => {
    const { vscodeInstallUrl, cursorInstallUrl } = setupSnippets("http://localhost:3000", TOKEN);
    expect(vscodeInstallUrl.startsWith("vscode:mcp/install?")).toBe(true);
    expect(vscodeInstallUrl).not.toContain(TOKEN);
    expect(JSON.parse(decodeURIComponent(vscodeInstallUrl.slice("vscode:mcp/install?".length)))).toEqual({
      name: "carestral",
      type: "http",
      url: "http://localhost:3000/api/mcp",
      headers: { Authorization: "Bearer ${input:carestral-token}" },
      inputs: [{ type: "promptString", id: "carestral-token", description: "Carestral token (mcp_…)", password: true }],
    });

    const cursorLink = new URL(cursorInstallUrl);
    expect(`${cursorLink.protocol}//${cursorLink.host}${cursorLink.pathname}`).toBe("cursor://anysphere.cursor-deeplink/mcp/install");
    expect(cursorLink.searchParams.get("name")).toBe("carestral");
    expect(JSON.parse(atob(cursorLink.searchParams.get("config") ?? ""))).toEqual({
      url: "http://localhost:3000/api/mcp",
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
  });

  it("gives shell lines that read the token without echo and keep it out of the command line", () => {
    const { claudeCode, curl } = setupSnippets("http://localhost:3000", TOKEN);
    expect(claudeCode).not.toContain(TOKEN);
    expect(curl).not.toContain(TOKEN);
    expect(runShell(claudeCode)).toEqual([
      "mcp",
      "add",
      "--transport",
      "http",
      "carestral",
      "http://localhost:3000/api/mcp",
      "--header",
      // Literal: Claude Code expands it from the environment when it starts the server.
      "Authorization: Bearer ${CARESTRAL_TOKEN}",
    ]);
    expect(runShell(curl)).toEqual([
      "http://localhost:3000/api/mcp",
      "-H",
      `Authorization: Bearer ${TOKEN}`,
      "-H",
      "Content-Type: application/json",
      "-H",
      "Accept: application/json, text/event-stream",
      "-d",
      '{"jsonrpc":"2.0","id":1,"method":"tools/list"}',
    ]);
  });
});
