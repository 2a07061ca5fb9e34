"use client";

import { useId, useRef, useState, type KeyboardEvent, type ReactNode } from "react";
import { CopyButton } from "./copy-button";
import { TOKEN_ENV_VAR, type SetupSnippets } from "./setup-snippets";
import styles from "./tokens.module.css";

const CLIENTS = ["Claude Desktop", "Claude Code", "Cursor", "VS Code", "curl"] as const;
type Client = (typeof CLIENTS)[number];

/** The client last chosen, so the next token opens on the setup this person uses. */
const STORAGE_KEY = "carestral:setup-client";

function rememberedClient(): Client {
  try {
    const stored = window.localStorage.getItem(STORAGE_KEY);
    return CLIENTS.find((client) => client === stored) ?? CLIENTS[0];
  } catch {
    // Storage blocked (private mode, a policy): start on the first client.
    return CLIENTS[0];
  }
}

/** One client's setup at a time, as WAI-ARIA tabs (APG "Tabs with automatic activation"). */
export function SetupTabs({ snippets, labelledBy }: { snippets: SetupSnippets; labelledBy: string }) {
  const id = useId();
  // Shown only after a token is made in the browser, never rendered on the server: storage is there.
  const [selected, setSelected] = useState<Client>(rememberedClient);
  const tabRefs = useRef(new Map<Client, HTMLButtonElement>());

  function select(client: Client, focus = false) {
    setSelected(client);
    try {
      window.localStorage.setItem(STORAGE_KEY, client);
    } catch {
      // Not remembered; the choice still holds for this panel.
    }
    if (focus) tabRefs.current.get(client)?.focus();
  }

  function onKeyDown(event: KeyboardEvent<HTMLDivElement>) {
    const index = CLIENTS.indexOf(selected);
    const next = {
      ArrowRight: CLIENTS[(index + 1) % CLIENTS.length],
      ArrowLeft: CLIENTS[(index - 1 + CLIENTS.length) % CLIENTS.length],
      Home: CLIENTS[0],
      End: CLIENTS[CLIENTS.length - 1],
    }[event.key];
    if (!next) return;
    event.preventDefault();
    select(next, true);
  }

  const tabId = (client: Client) => `${id}-tab-${CLIENTS.indexOf(client)}`;
  const panelId = (client: Client) => `${id}-panel-${CLIENTS.indexOf(client)}`;

  return (
    <div>
      <div role="tablist" aria-labelledby={labelledBy} className={styles.tabs} onKeyDown={onKeyDown}>
        {CLIENTS.map((client) => (
          <button
            key={client}
            type="button"
            role="tab"
            id={tabId(client)}
            aria-selected={client === selected}
            aria-controls={panelId(client)}
            tabIndex={client === selected ? 0 : -1}
            ref={(element) => {
              if (element) tabRefs.current.set(client, element);
              else tabRefs.current.delete(client);
            }}
            onClick={() => select(client)}
          >
            {client}
          </button>
        ))}
      </div>
      {CLIENTS.map((client) => (
        <div
          key={client}
          role="tabpanel"
          id={panelId(client)}
          aria-labelledby={tabId(client)}
          hidden={client !== selected}
          tabIndex={0}
          className={styles.tabPanel}
        >
          {client === selected && <ClientSetup client={client} snippets={snippets} />}
        </div>
      ))}
    </div>
  );
}

function ClientSetup({ client, snippets }: { client: Client; snippets: SetupSnippets }) {
  switch (client) {
    case "Claude Desktop":
      return (
        <>
          <p>
            In Claude Desktop, open Settings → Developer → <strong>Edit Config</strong> and paste this entry inside{" "}
            <code>&quot;mcpServers&quot;: {"{ … }"}</code>, with a comma between it and any other server (an empty file
            becomes <code>{'{ "mcpServers": { … } }'}</code>). Then restart Claude Desktop. It needs Node.js for{" "}
            <code>npx</code>.
          </p>
          <p className="muted">
            The file is <code>~/Library/Application Support/Claude/claude_desktop_config.json</code> on macOS and{" "}
            <code>%APPDATA%\Claude\claude_desktop_config.json</code> on Windows. It holds the token: keep it to yourself.
          </p>
          <Snippet label="Claude Desktop configuration" text={snippets.claudeDesktop} />
          <StopsWorking>the Carestral tools disappear and Settings → Developer shows the server as failed.</StopsWorking>
        </>
      );
    case "Claude Code":
      return (
        <>
          <p>
            Run these in a terminal. The first line waits for you to paste the token and press Enter (nothing shows), so it
            stays out of your shell history. Claude Code reads <code>{TOKEN_ENV_VAR}</code> each time it starts: set it
            wherever you start <code>claude</code> (from your password manager, say), never in a file you commit.
          </p>
          <Snippet label="Claude Code command" text={snippets.claudeCode} />
          <StopsWorking>
            <code>/mcp</code> lists carestral as failed or as needing authentication.
          </StopsWorking>
        </>
      );
    case "Cursor":
      return (
        <>
          <p>
            <a className="button" href={snippets.cursorInstallUrl}>
              Add to Cursor
            </a>{" "}
            puts the server, with this token, in your own Cursor settings (<code>~/.cursor/mcp.json</code>), not in a project.
          </p>
          <p>
            For a project’s <code>.cursor/mcp.json</code>, which you may commit, use this: it reads the token from{" "}
            <code>{TOKEN_ENV_VAR}</code> in the environment Cursor starts in.
          </p>
          <Snippet label="Cursor configuration" text={snippets.cursor} />
          <StopsWorking>the MCP settings show carestral with an error and no tools.</StopsWorking>
        </>
      );
    case "VS Code":
      return (
        <>
          <p>
            <a className="button" href={snippets.vscodeInstallUrl}>
              Add to VS Code
            </a>{" "}
            asks for the token once and keeps it in VS Code’s secret storage.
          </p>
          <p>
            Or paste this into <code>.vscode/mcp.json</code> (or <strong>MCP: Open User Configuration</strong>): it holds no
            token, so it is safe to commit. VS Code asks for the token when it first starts the server.
          </p>
          <Snippet label="VS Code configuration" text={snippets.vscode} />
          <StopsWorking>the server stops with an error in the MCP output, or offers to sign in.</StopsWorking>
        </>
      );
    case "curl":
      return (
        <>
          <p>Lists the tools this token may use. The first line waits for you to paste the token and press Enter.</p>
          <Snippet label="curl command" text={snippets.curl} />
          <StopsWorking>
            <code>HTTP 401</code> with <code>WWW-Authenticate: Bearer error=&quot;invalid_token&quot;</code> and the reason.
          </StopsWorking>
        </>
      );
  }
}

function StopsWorking({ children }: { children: ReactNode }) {
  return (
    <p className="muted">
      Once this token expires or is revoked, {children} Put a new token in its place.
    </p>
  );
}

function Snippet({ label, text }: { label: string; text: string }) {
  const preRef = useRef<HTMLPreElement>(null);
  return (
    <>
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
