"use client";

import { ConfirmDialog } from "~/components/confirm-dialog";
import type { TokenRow } from "./token-table";

/** What the dialog names: a row of the list, or the token on its own page. */
type RevokableToken = Pick<TokenRow, "id" | "name" | "prefix">;

/** Revoke a token, after a confirmation; Escape and Keep token leave it alone. */
export function RevokeTokenDialog<T extends RevokableToken>({
  token,
  onConfirm,
  onCancel,
}: {
  token: T | null;
  onConfirm(token: T): void;
  onCancel(): void;
}) {
  return (
    <ConfirmDialog
      open={token !== null}
      id="revoke-token"
      title={token && <>Revoke “{token.name}”?</>}
      description={
        token && (
          <>
            Any assistant using <code>{token.prefix}…</code> loses access with its very next request. This cannot be undone.
          </>
        )
      }
      safeLabel="Keep token"
      confirmLabel="Revoke token"
      onConfirm={() => token && onConfirm(token)}
      onClose={onCancel}
    />
  );
}
