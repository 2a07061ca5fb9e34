"use client";

import { useEffect, useRef, useState } from "react";
import type { GeneratedToken } from "./create-token-form";
import { setupSnippets } from "./setup-snippets";
import styles from "./tokens.module.css";

type CopyState = "idle" | "copied" | "failed";

/** The one and only showing of a new token's plaintext, with ready-to-paste client setup. */
export function NewTokenPanel({ created, appUrl, onDone }: { created: GeneratedToken; appUrl: string; onDone(): void }) {
  const [copyState, setCopyState] = useState<CopyState>("idle");
  const headingRef = useRef<HTMLHeadingElement>(null);
  const tokenRef = useRef<HTMLElement>(null);
  const snippets = setupSnippets(appUrl, created.token);

  // Move focus here so keyboard and screen-reader users land on the token they must copy now.
  useEffect(() => {
    headingRef.current?.focus();
  }, [created.id]);

  useEffect(() => {
    if (copyState !== "copied") return;
    const timer = setTimeout(() => setCopyState("idle"), 4000);
    return () => clearTimeout(timer);
  }, [copyState]);

  async function copyToken() {
    try {
      if (!navigator.clipboard) throw new Error("Clipboard unavailable");
      await navigator.clipboard.writeText(created.token);
      setCopyState("copied");
    } catch {
      // Denied permission or an insecure context: select the token so copying by hand is one keystroke.
      setCopyState("failed");
      const selection = window.getSelection();
      if (tokenRef.current && selection) selection.selectAllChildren(tokenRef.current);
    }
  }

  return (
    <section className="card" aria-labelledby="new-token-heading">
      <h2 id="new-token-heading" ref={headingRef} tabIndex={-1}>
        Token “{created.name}” created
      </h2>
      <p className="warning">
        <strong>Copy this token now. You will not see it again:</strong> Carestral keeps only a hash of it. If you lose it,
        revoke it and create another.
      </p>
      <div className={styles.tokenValue}>
        <code ref={tokenRef} aria-label="New token">
          {created.token}
        </code>
        <button type="button" className="primary" onClick={copyToken}>
          Copy
        </button>
        <span role="status">
          {copyState === "copied" && "Copied"}
          {copyState === "failed" && "Could not copy automatically. The token is selected: press Ctrl+C (⌘C on a Mac)."}
        </span>
      </div>

      <h3>Claude Desktop</h3>
      <p>
        Add this to <code>claude_desktop_config.json</code> (Settings → Developer → Edit Config), then restart Claude
        Desktop. It needs Node.js for <code>npx</code>.
      </p>
      <pre className={styles.snippet} aria-label="Claude Desktop configuration">
        {snippets.claudeDesktop}
      </pre>

      <h3>Claude Code</h3>
      <pre className={styles.snippet} aria-label="Claude Code command">
        {snippets.claudeCode}
      </pre>

      <h3>curl</h3>
      <p>Lists the tools this token may use.</p>
      <pre className={styles.snippet} aria-label="curl command">
        {snippets.curl}
      </pre>

      <p>
        MCP server URL: <code>{snippets.mcpUrl}</code>
      </p>
      <p>
        <button type="button" onClick={onDone}>
          Done
        </button>
      </p>
    </section>
  );
}
