import { describe, expect, it } from "vitest";
import { setupSnippets } from "./setup-snippets";

const TOKEN = "mcp_AbCd1234efGH5678ijKL9012mnOP3456qrST7890uvW3GOgf5";

describe("setupSnippets", () => {
  it("configures Claude Desktop through mcp-remote with the header in an environment variable", () => {
    const { claudeDesktop, mcpUrl } = setupSnippets("https://carestral.example", TOKEN);
    expect(mcpUrl).toBe("https://carestral.example/api/mcp");
    expect(JSON.parse(claudeDesktop)).toEqual({
      mcpServers: {
        carestral: {
          command: "npx",
          args: ["-y", "mcp-remote", "https://carestral.example/api/mcp", "--header", "Authorization:${AUTH_HEADER}"],
          env: { AUTH_HEADER: `Bearer ${TOKEN}` },
        },
      },
    });
  });

  it("adds --allow-http for plain HTTP beyond loopback only", () => {
    const args = (appUrl: string) =>
      (JSON.parse(setupSnippets(appUrl, TOKEN).claudeDesktop) as { mcpServers: { carestral: { args: string[] } } }).mcpServers.carestral.args;
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

  it("configures Cursor and VS Code over HTTP with the header", () => {
    const { cursor, vscode } = setupSnippets("http://localhost:3000", TOKEN);
    const headers = { Authorization: `Bearer ${TOKEN}` };
    expect(JSON.parse(cursor)).toEqual({ mcpServers: { carestral: { url: "http://localhost:3000/api/mcp", headers } } });
    expect(JSON.parse(vscode)).toEqual({ servers: { carestral: { type: "http", url: "http://localhost:3000/api/mcp", headers } } });
  });

  it("gives a claude mcp add line and a curl tools/list call with the real token and URL", () => {
    const { claudeCode, curl } = setupSnippets("http://localhost:3000", TOKEN);
    expect(claudeCode).toBe(
      `claude mcp add --transport http carestral http://localhost:3000/api/mcp --header "Authorization: Bearer ${TOKEN}"`,
    );
    expect(curl).toBe(
      [
        "curl http://localhost:3000/api/mcp \\",
        `  -H "Authorization: Bearer ${TOKEN}" \\`,
        '  -H "Content-Type: application/json" \\',
        '  -H "Accept: application/json, text/event-stream" \\',
        `  -d '{"jsonrpc":"2.0","id":1,"method":"tools/list"}'`,
      ].join("\n"),
    );
  });
});
