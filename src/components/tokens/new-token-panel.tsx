"use client";

import { useEffect, useRef } from "react";
import { CopyButton } from "./copy-button";
import type { GeneratedToken } from "./create-token-form";
import { setupSnippets } from "./setup-snippets";
import { SetupTabs } from "./setup-tabs";
import styles from "./tokens.module.css";

/** The one and only showing of a new token's plaintext: the token, Copy and the warning first, then one client's setup at a time. */
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

      <h3 id="client-setup-heading">Set up your assistant</h3>
      <SetupTabs snippets={snippets} labelledBy="client-setup-heading" />
      <p className="muted">
        No token needed for clients that sign in (Claude’s <strong>Add custom connector</strong>, ChatGPT, Claude Code, VS
        Code, Cursor): give them <code>{snippets.mcpUrl}</code> alone and sign in to Carestral in your browser.
      </p>

      {/* Sticky: however long the setup, Done stays on screen while the panel is. */}
      <div className={styles.panelFooter}>
        <button type="button" onClick={onDone}>
          Done
        </button>
      </div>
    </section>
  );
}
