"use client";

import Link from "next/link";
import { useState } from "react";
import type { TokenExpiryDays } from "~/server/tokens/schemas";
import type { TokenScope } from "~/server/tokens/scopes";
import { api } from "~/trpc/react";
import { CreateTokenForm, type GeneratedToken } from "./create-token-form";
import { NewTokenPanel } from "./new-token-panel";
import { RevokeTokenDialog } from "./revoke-token-dialog";
import { TokenTable, type TokenRow } from "./token-table";

interface TokensDashboardProps {
  /** The public origin, for the setup snippets. */
  appUrl: string;
  scopes: { scope: TokenScope; description: string }[];
  expiryDays: TokenExpiryDays[];
  defaultExpiryDays: TokenExpiryDays;
}

export function TokensDashboard({ appUrl, scopes, expiryDays, defaultExpiryDays }: TokensDashboardProps) {
  const utils = api.useUtils();
  // The plaintext lives only here, and only until Done.
  const [created, setCreated] = useState<GeneratedToken | null>(null);
  const [confirming, setConfirming] = useState<TokenRow | null>(null);
  const [revokeError, setRevokeError] = useState<string | null>(null);

  const tokens = api.tokens.list.useQuery();

  const revoke = api.tokens.revoke.useMutation({
    // Optimistic: the row reads Revoked at once, and goes back if the server refuses.
    async onMutate({ id }) {
      setRevokeError(null);
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
      setRevokeError(`Could not revoke ${name ? `“${name}”` : "the token"}: ${error.message}`);
    },
    onSuccess(revoked) {
      utils.tokens.list.setData(undefined, (rows) => rows?.map((row) => (row.id === revoked.id ? revoked : row)));
    },
    onSettled() {
      void utils.tokens.list.invalidate();
    },
  });

  return (
    <>
      {created ? (
        <NewTokenPanel created={created} appUrl={appUrl} onDone={() => setCreated(null)} />
      ) : (
        <CreateTokenForm scopes={scopes} expiryDays={expiryDays} defaultExpiryDays={defaultExpiryDays} onCreated={setCreated} />
      )}

      <h2>Your tokens</h2>
      {revokeError && (
        <p className="form-error" role="alert">
          {revokeError}
        </p>
      )}
      {tokens.isPending ? (
        <p role="status" aria-live="polite">
          Loading your tokens…
        </p>
      ) : tokens.isError ? (
        <div role="alert" className="card">
          {tokens.error.data?.code === "UNAUTHORIZED" ? (
            <p>
              Your session has ended. <Link href="/login?next=%2Fdashboard%2Ftokens">Sign in again</Link> to manage your tokens.
            </p>
          ) : (
            <>
              <p className="error">Could not load your tokens: {tokens.error.message}</p>
              <button type="button" onClick={() => void tokens.refetch()} disabled={tokens.isFetching}>
                Retry
              </button>
            </>
          )}
        </div>
      ) : tokens.data.length === 0 ? (
        <div className="card">
          <p>
            <strong>No tokens yet.</strong> Create one above to connect an AI assistant such as Claude Desktop or Claude
            Code: with <code>read:data</code> it can look up hospitals and your bookings, with <code>write:bookings</code> it
            can book and cancel for you. You can revoke a token at any time.
          </p>
        </div>
      ) : (
        <TokenTable tokens={tokens.data} onRevoke={setConfirming} />
      )}

      <RevokeTokenDialog
        token={confirming}
        onCancel={() => setConfirming(null)}
        onConfirm={(token) => {
          setConfirming(null);
          revoke.mutate({ id: token.id });
        }}
      />
    </>
  );
}
