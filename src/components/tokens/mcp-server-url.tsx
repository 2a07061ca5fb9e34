"use client";

import { useRef } from "react";
import { CopyButton } from "./copy-button";
import styles from "./tokens.module.css";

/**
 * Where to point an AI client, on the tokens page at all times (not only in the one-time panel): the URL with
 * Copy, and the two ways in, signing in (OAuth, no token) or a personal access token.
 */
export function McpServerUrl({ appUrl }: { appUrl: string }) {
  const urlRef = useRef<HTMLElement>(null);
  const mcpUrl = `${appUrl}/api/mcp`;
  return (
    <section className="card" aria-labelledby="mcp-url-heading">
      <h2 id="mcp-url-heading">MCP server URL</h2>
      <div className={styles.tokenValue}>
        <div role="group" aria-label="MCP server URL" className={styles.tokenBox}>
          <code ref={urlRef}>{mcpUrl}</code>
        </div>
        <CopyButton text={mcpUrl} target={urlRef} what="MCP server URL" />
      </div>
      <p>
        <strong>Clients that sign in</strong> (Claude, ChatGPT, Claude Code, VS Code, Cursor): give them this URL alone, no
        token needed; your browser opens to sign in to Carestral and approve. The app then appears under{" "}
        <strong>Connected apps</strong>. <strong>Other clients, or scripts</strong>: create a token above and send it as{" "}
        <code>Authorization: Bearer mcp_…</code>; its setup for each client is shown with it.
      </p>
    </section>
  );
}
