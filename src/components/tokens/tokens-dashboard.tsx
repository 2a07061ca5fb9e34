"use client";

import { useEffect, useRef, useState } from "react";
import { LoadFailure, RequestErrorAlert } from "~/components/request-error";
import type { TokenExpiryDays } from "~/server/tokens/schemas";
import type { TokenScope } from "~/server/tokens/scopes";
import { api } from "~/trpc/react";
import { CreateTokenForm, type GeneratedToken } from "./create-token-form";
import { NewTokenPanel } from "./new-token-panel";
import { RevokeTokenDialog } from "./revoke-token-dialog";
import { TokenTable, type TokenRow } from "./token-table";
import styles from "./tokens.module.css";

interface TokensDashboardProps {
  /** The public origin, for the setup snippets. */
  appUrl: string;
  scopes: { scope: TokenScope; description: string }[];
  expiryDays: TokenExpiryDays[];
  defaultExpiryDays: TokenExpiryDays;
  maxActiveTokens: number;
}

type Filter = "all" | "active" | "inactive";
const FILTERS: { value: Filter; label: string; caption: string }[] = [
  { value: "all", label: "All", caption: "Your API tokens, newest first" },
  { value: "active", label: "Active", caption: "Your active API tokens, newest first" },
  { value: "inactive", label: "Revoked or expired", caption: "Your revoked and expired API tokens, newest first" },
];

/** The personal access tokens section: the list first, creation behind New token, revocation behind a dialog. */
export function TokensDashboard({ appUrl, scopes, expiryDays, defaultExpiryDays, maxActiveTokens }: TokensDashboardProps) {
  const utils = api.useUtils();
  const [creating, setCreating] = useState(false);
  // The plaintext lives only here, and only until Done.
  const [created, setCreated] = useState<GeneratedToken | null>(null);
  const [confirming, setConfirming] = useState<TokenRow | null>(null);
  const [revokeError, setRevokeError] = useState<{ error: unknown; name: string } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [filter, setFilter] = useState<Filter>("all");
  const newTokenButtonRef = useRef<HTMLButtonElement>(null);
  const listHeadingRef = useRef<HTMLHeadingElement>(null);
  const pendingFocus = useRef<"new-token" | "list" | null>(null);

  // Focus moves after the render that removed what had it (the form, the panel, a revoked row's button).
  useEffect(() => {
    const target = pendingFocus.current;
    if (!target) return;
    pendingFocus.current = null;
    (target === "new-token" ? newTokenButtonRef : listHeadingRef).current?.focus();
  });

  // Prefetched by the page on the server: the first paint already has the rows.
  const tokens = api.tokens.list.useQuery();

  const revoke = api.tokens.revoke.useMutation({
    // Optimistic: the row reads Revoked at once, and goes back if the server refuses.
    async onMutate({ id }) {
      setRevokeError(null);
      setNotice(null);
      await utils.tokens.list.cancel();
      const previous = utils.tokens.list.getData();
      utils.tokens.list.setData(undefined, (rows) =>
        rows?.map((row) => (row.id === id ? { ...row, status: "revoked" as const, revokedAt: row.revokedAt ?? new Date() } : row)),
      );
      return { previous };
    },
    onError(error, { id }, context) {
      if (context?.previous) utils.tokens.list.setData(undefined, context.previous);
      const name = context?.previous?.find((row) => row.id === id)?.name;
      setRevokeError({ error, name: name ? `“${name}”` : "the token" });
    },
    onSuccess(revoked) {
      utils.tokens.list.setData(undefined, (rows) => rows?.map((row) => (row.id === revoked.id ? revoked : row)));
      setNotice(`Token “${revoked.name}” revoked: its next request is refused.`);
    },
    onSettled() {
      void utils.tokens.list.invalidate();
    },
  });

  const rows = tokens.data ?? [];
  const activeCount = rows.filter((row) => row.status === "active").length;
  const shown = rows.filter((row) => filter === "all" || (filter === "active") === (row.status === "active"));
  const currentFilter = FILTERS.find(({ value }) => value === filter) ?? FILTERS[0];

  return (
    <section aria-labelledby="tokens-list-heading">
      <div className={styles.listHeader}>
        <h2 id="tokens-list-heading" ref={listHeadingRef} tabIndex={-1}>
          Your tokens
        </h2>
        {!creating && !created && (
          <button type="button" className="primary" ref={newTokenButtonRef} onClick={() => setCreating(true)}>
            New token
          </button>
        )}
      </div>
      {tokens.data && (
        <p className="muted">
          {activeCount} of {maxActiveTokens} active tokens used.
        </p>
      )}

      {created ? (
        <NewTokenPanel
          created={created}
          appUrl={appUrl}
          onDone={() => {
            setCreated(null);
            pendingFocus.current = "new-token";
          }}
        />
      ) : (
        creating && (
          <CreateTokenForm
            scopes={scopes}
            expiryDays={expiryDays}
            defaultExpiryDays={defaultExpiryDays}
            onCreated={(token) => {
              setCreating(false);
              setCreated(token);
            }}
            onCancel={() => {
              setCreating(false);
              pendingFocus.current = "new-token";
            }}
          />
        )
      )}

      {revokeError && <RequestErrorAlert error={revokeError.error} attempt={`revoke ${revokeError.name}`} />}
      <p role="status">{notice}</p>

      {tokens.isError && (
        // A failed first load replaces the list; a failed refresh keeps the rows already shown.
        <LoadFailure error={tokens.error} attempt="load your tokens" onRetry={() => void tokens.refetch()} retrying={tokens.isFetching} />
      )}
      {tokens.isPending ? (
        <p role="status" aria-live="polite">
          Loading your tokens…
        </p>
      ) : !tokens.data ? null : rows.length === 0 ? (
        <div className="card">
          <p>
            <strong>No tokens yet.</strong> Create one with <strong>New token</strong> to connect an AI assistant such as
            Claude Desktop, Cursor or VS Code: with <code>read:data</code> it can look up hospitals and your bookings, with{" "}
            <code>write:bookings</code> it can book and cancel for you. You can revoke a token at any time.
          </p>
        </div>
      ) : (
        <>
          <fieldset className={styles.filter}>
            <legend>Show</legend>
            {FILTERS.map(({ value, label }) => (
              <label key={value}>
                <input type="radio" name="token-filter" value={value} checked={filter === value} onChange={() => setFilter(value)} />
                {label}
              </label>
            ))}
          </fieldset>
          {shown.length === 0 ? (
            <p className="muted">{filter === "active" ? "No active tokens." : "No revoked or expired tokens."}</p>
          ) : (
            <TokenTable tokens={shown} caption={currentFilter?.caption ?? "Your API tokens"} onRevoke={setConfirming} />
          )}
        </>
      )}

      <RevokeTokenDialog
        token={confirming}
        onCancel={() => setConfirming(null)}
        onConfirm={(token) => {
          setConfirming(null);
          // Its Revoke button is about to go: land on the list, where the outcome is announced.
          pendingFocus.current = "list";
          revoke.mutate({ id: token.id });
        }}
      />
    </section>
  );
}
