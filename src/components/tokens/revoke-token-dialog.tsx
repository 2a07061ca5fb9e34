"use client";

import { useEffect, useRef } from "react";
import type { TokenRow } from "./token-table";

/** What the dialog names: a row of the list, or the token on its own page. */
type RevokableToken = Pick<TokenRow, "id" | "name" | "prefix">;

/** A modal confirmation before revoking; Escape and Keep token leave the token alone. */
export function RevokeTokenDialog<T extends RevokableToken>({
  token,
  onConfirm,
  onCancel,
}: {
  token: T | null;
  onConfirm(token: T): void;
  onCancel(): void;
}) {
  const dialogRef = useRef<HTMLDialogElement>(null);
  const keepRef = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    const dialog = dialogRef.current;
    if (!dialog) return;
    if (token && !dialog.open) {
      dialog.showModal();
      // Start on the safe choice: a stray Enter must not revoke. (React's autoFocus does not reach
      // showModal(), which would focus the first button, the destructive one.)
      keepRef.current?.focus();
    }
    if (!token && dialog.open) dialog.close();
  }, [token]);

  return (
    <dialog ref={dialogRef} aria-labelledby="revoke-token-heading" aria-describedby="revoke-token-description" onClose={onCancel}>
      {token && (
        <>
          <h2 id="revoke-token-heading">Revoke “{token.name}”?</h2>
          <p id="revoke-token-description">
            Any assistant using <code>{token.prefix}…</code> loses access with its very next request. This cannot be undone.
          </p>
          <p className="actions">
            <button type="button" ref={keepRef} onClick={onCancel}>
              Keep token
            </button>
            <button type="button" className="danger" onClick={() => onConfirm(token)}>
              Revoke token
            </button>
          </p>
        </>
      )}
    </dialog>
  );
}
