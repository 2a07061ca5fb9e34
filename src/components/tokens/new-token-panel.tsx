"use client";

import { useEffect, useRef, type ReactNode } from "react";
import { CopyButton } from "./copy-button";
import type { GeneratedToken } from "./create-token-form";
import { setupSnippets } from "./setup-snippets";
import styles from "./tokens.module.css";

/** The one and only showing of a new token's plaintext, with ready-to-paste setup for each client. */
export function NewTokenPanel({
  created,
  regenerated = false,
  appUrl,
  onDone,
}: {
  created: GeneratedToken;
  /** Made by Regenerate: a new secret for an existing token. */
  regenerated?: boolean;
  appUrl: string;
  onDone(): void;
}) {
  const headingRef = useRef<HTMLHeadingElement>(null);
  const tokenRef = useRef<HTMLElement>(null);
  const snippets = setupSnippets(appUrl, created.token);

  // Move focus here so keyboard and screen-reader users land on the token they must copy now.
  useEffect(() => {
    headingRef.current?.focus();
  }, [created.id]);

  return (
    <section className="card" aria-labelledby="new-token-heading">
      <h2 id="new-token-heading" ref={headingRef} tabIndex={-1}>
        Token “{created.name}” {regenerated ? "regenerated" : "created"}
      </h2>
      <p className="warning">
        <strong>Copy this token now. You will not see it again:</strong> Carestral keeps only a hash of it. If you lose it,
        revoke it and create another.
      </p>
      <div className={styles.tokenValue}>
        <div role="group" aria-label="New token" className={styles.tokenBox}>
          <code ref={tokenRef}>{created.token}</code>
        </div>
        <CopyButton text={created.token} target={tokenRef} primary />
      </div>

      <p>
        MCP server URL: <code>{snippets.mcpUrl}</code>
      </p>

      <Snippet title="Claude Desktop" label="Claude Desktop configuration" text={snippets.claudeDesktop}>
        Add this to <code>claude_desktop_config.json</code> (Settings → Developer → Edit Config), then restart Claude Desktop.
        It needs Node.js for <code>npx</code>.
      </Snippet>
      <Snippet title="Claude Code" label="Claude Code command" text={snippets.claudeCode}>
        Run this in a terminal.
      </Snippet>
      <Snippet title="Cursor" label="Cursor configuration" text={snippets.cursor}>
        Add this to <code>.cursor/mcp.json</code> in your project, or to <code>~/.cursor/mcp.json</code> for every project.
      </Snippet>
      <Snippet title="VS Code" label="VS Code configuration" text={snippets.vscode}>
        Add this to <code>.vscode/mcp.json</code> in your workspace (or run <strong>MCP: Open User Configuration</strong>),
        then start the server from that file.
      </Snippet>
      <Snippet title="curl" label="curl command" text={snippets.curl}>
        Lists the tools this token may use.
      </Snippet>

      <h3>No token needed for clients that sign in</h3>
      <p>
        Claude (Settings → Connectors → <strong>Add custom connector</strong>), ChatGPT, Claude Code, VS Code and Cursor can
        also connect without a token: give them <code>{snippets.mcpUrl}</code> as the server URL, without any header, and
        sign in to Carestral when your browser opens. You can then revoke that connection here like a token.
      </p>

      <h3>When this token expires or is revoked</h3>
      <p>Every request with it is refused (HTTP 401). This is how it shows:</p>
      <ul>
        <li>
          <strong>Claude Desktop</strong>: the Carestral tools disappear and Settings → Developer shows the server as
          failed; mcp-remote’s log says the token was refused or opens a browser to sign in.
        </li>
        <li>
          <strong>Claude Code</strong>: <code>/mcp</code> lists carestral as failed or as needing authentication.
        </li>
        <li>
          <strong>Cursor</strong>: the MCP settings show carestral with an error and no tools.
        </li>
        <li>
          <strong>VS Code</strong>: the server stops with an error in the MCP output, or offers to sign in.
        </li>
        <li>
          <strong>curl</strong>: <code>HTTP 401</code> with{" "}
          <code>WWW-Authenticate: Bearer error=&quot;invalid_token&quot;, error_description=&quot;The token has expired…&quot;</code>.
        </li>
      </ul>
      <p>In each case, create a new token here and put it in place of the old one.</p>

      <p>
        <button type="button" onClick={onDone}>
          Done
        </button>
      </p>
    </section>
  );
}

function Snippet({ title, label, text, children }: { title: string; label: string; text: string; children: ReactNode }) {
  const preRef = useRef<HTMLPreElement>(null);
  return (
    <>
      <h3>{title}</h3>
      <p>{children}</p>
      {/* A <pre> may not carry a label itself (ARIA: generic role); the group around it does. */}
      <div role="group" aria-label={label}>
        <pre ref={preRef} className={styles.snippet}>
          {text}
        </pre>
      </div>
      <p className={styles.snippetActions}>
        <CopyButton text={text} target={preRef} what={label} />
      </p>
    </>
  );
}
